"""CIDER: the checkpoint schedule, the similarity signal, the decision rule and its traces, on a tiny LLaVA."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # huggingface_hub reads it once, at import

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.base import GenerationRequest, GenerationSettings, ImageInput, Message, single_turn
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.backends.tiny import ensure_tiny_model
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.plugin import Defense
from lvlmkb.eval.registry import get_defense
from lvlmkb.eval.run.records import SampleRecord
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.conftest import DATA, REPO

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
PIL_Image = pytest.importorskip("PIL.Image")
FOLDER = REPO / "reproductions"
SETTINGS = GenerationSettings(max_new_tokens=4, seed=11)
BLUR = "tests.reproductions.cider.test_defense:blur_denoiser"
CALLS: list[tuple[tuple[int, ...], int, float, float]] = []


def blur_denoiser(pixels: Any, timestep: int) -> Any:
    """Test stand-in for the diffusion denoiser: a Gaussian blur whose width grows with the step."""
    CALLS.append((tuple(pixels.shape), timestep, float(pixels.min()), float(pixels.max())))
    sigma = timestep / 100
    offsets = torch.arange(-4, 5, dtype=torch.float32)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = pixels.shape[1]
    rows = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    out = torch.nn.functional.conv2d(torch.nn.functional.pad(pixels, (4, 4, 0, 0), mode="reflect"), rows, groups=3)
    cols = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    return torch.nn.functional.conv2d(torch.nn.functional.pad(out, (0, 0, 4, 4), mode="reflect"), cols, groups=3)


def noisy_denoiser(pixels: Any, timestep: int) -> Any:
    """A stand-in that draws from the global torch generator, as upstream's q_sample does."""
    return pixels + 0.2 * torch.randn_like(pixels)


not_callable = 3


def tiny_cider(root: Path) -> dict[str, str]:
    """Config values for CIDER with the blur stand-in and a tiny LLaVA encoder (also used by the contract test)."""
    return {"denoiser": BLUR, "encoder": str(ensure_tiny_model("llava", root=root))}


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Any:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def cider() -> ModuleType:
    return sys.modules[get_defense(FOLDER, "cider").__module__]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_tiny_model("llava", root=tmp_path_factory.mktemp("cider-tiny"))


@pytest.fixture(scope="module")
def hf(tiny: Path) -> Any:
    from lvlmkb.eval.backends.hf import HFBackend

    return HFBackend(str(tiny), device="cpu", dtype="float32")


def _defense(**config: object) -> Defense:
    cls = get_defense(FOLDER, "cider")
    return cls(cls.Config(**config))


def _attached(target: Any, **config: object) -> Any:
    """CIDER attached to ``target`` (its encoder and denoiser loaded), typed loosely for ``detect``."""
    defense: Any = _defense(**config)
    defense.attach(target)
    return defense


def _image(seed: int, size: int = 48) -> ImageInput:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size + 8, 3), dtype=np.uint8)
    return ImageInput.from_pil(PIL_Image.fromarray(pixels))


def test_defaults_follow_upstream(cider: ModuleType) -> None:
    config = cider.CIDERConfig()
    assert config.timesteps == (50, 100, 150, 200, 250, 300, 350) and config.checkpoints == 8
    assert config.threshold == -0.003936767578125 and config.image_size == 224
    assert config.encoder == "llava-hf/llava-1.5-7b-hf" and config.denoiser is None
    assert config.refusal_text == "I'm sorry, but I can not assist."


def test_decision_rule_is_get_lowest_idx(cider: ModuleType) -> None:
    tau = -0.003936767578125
    assert cider.lowest_checkpoint([0.5, 0.499, 0.49, 0.495], tau) == 2
    assert cider.lowest_checkpoint([0.5, 0.497, 0.51], tau) == 0, "a drop of 0.003 is within tau"
    assert cider.lowest_checkpoint([0.5, 0.52, 0.51], 0.01) == 0, "no drop: the lowest is checkpoint 0"
    assert cider.lowest_checkpoint([0.5, 0.499, 0.51], 0.01) == 1


def test_cosine_is_computed_in_float16(cider: ModuleType) -> None:
    rng = np.random.default_rng(0)
    text, images = rng.normal(size=16), rng.normal(size=(3, 16))
    got = cider.cosine(text, images, "float16")
    t, i = text.astype("float16"), images.astype("float16")
    want = [np.sum(t * row) / (np.linalg.norm(t) * np.linalg.norm(row)) for row in i]
    assert got.dtype == np.float16 and np.array_equal(got, np.array(want, dtype=np.float16))


def test_without_a_denoiser_cider_refuses_to_run(hf: Any) -> None:
    with pytest.raises(UsageError, match="does not bundle") as caught:
        _defense(encoder=None).wrap(hf)
    assert "--defense-set denoiser=MODULE:CALLABLE" in str(caught.value)
    for spec, message in (
        ("no_colon", "not MODULE:CALLABLE"),
        ("tests.reproductions.no_such_module:f", "cannot import"),
        ("tests.reproductions.cider.test_defense:not_callable", "not a callable"),
    ):
        with pytest.raises(UsageError, match=message):
            _defense(encoder=None, denoiser=spec).wrap(hf)


def test_target_must_be_white_box_when_it_is_the_encoder() -> None:
    with pytest.raises(UsageError, match="Hugging Face backend"):
        _defense(encoder=None, denoiser=BLUR).wrap(MockBackend("comply"))


def test_signal_matches_llava_encoder(cider: ModuleType, hf: Any) -> None:
    """Checkpoints as upstream, and the similarity computed by hand as LlavaEncoder does."""
    CALLS.clear()
    defense = _attached(hf, encoder=None, denoiser=BLUR, threshold=-2.0)
    assert defense.encoder.backend is hf, "encoder=null reuses the target's weights"
    query, image = "what is in this picture", _image(1)
    detection = defense.detect(single_turn(query, [image], SETTINGS))
    assert [(c[0], c[1]) for c in CALLS] == [((1, 3, 224, 224), t) for t in range(50, 400, 50)]
    assert all(-1.0 <= c[2] <= c[3] <= 1.0 for c in CALLS)
    assert len(detection.cosines) == 1 and len(detection.cosines[0]) == 8 and not detection.flagged

    model, processor = hf.model, hf.processor
    config = cider.CIDERConfig(denoiser=BLUR)
    checkpoints = cider.checkpoint_images(image, cider.load_denoiser(BLUR), config, SETTINGS.seed)
    assert [c.size for c in checkpoints] == [(224, 224)] * 8
    with torch.no_grad():
        ids = processor.tokenizer(query, return_tensors="pt").input_ids
        text = model.get_input_embeddings()(ids).mean(dim=1)[0].numpy()
        pixels = processor.image_processor(images=checkpoints, return_tensors="pt")["pixel_values"]
        hidden = model.model.vision_tower(pixels, output_hidden_states=True).hidden_states
        selected = hidden[model.config.vision_feature_layer][:, 1:]
        feats = model.model.multi_modal_projector(selected).mean(dim=1).numpy()
    want = cider.cosine(text, feats, "float16")
    assert detection.cosines[0] == tuple(want.astype(float).tolist())
    trace = defense.detection_trace(detection)
    assert trace["cosines"] == [want.astype(float).tolist()] and trace["threshold"] == -2.0
    assert trace["deltas"][0] == [c - trace["cosines"][0][0] for c in trace["cosines"][0]]
    assert trace["checked"] and not trace["flagged"] and not trace["refused_by_defense"]


def test_noise_is_seeded_and_leaves_the_global_generator_alone(cider: ModuleType, hf: Any) -> None:
    defense = _attached(hf, encoder=None, denoiser="tests.reproductions.cider.test_defense:noisy_denoiser")
    request = single_turn("describe the image", [_image(2)], SETTINGS)
    torch.manual_seed(123)
    first = defense.detect(request)
    after = torch.rand(1)
    torch.manual_seed(123)
    assert defense.detect(request) == first and torch.equal(torch.rand(1), after)


def test_flagged_requests_are_refused_and_the_rest_answered_in_order(tiny: Path, hf: Any) -> None:
    """A separate encoder, a black-box target; tau set between the two images' largest drops."""
    probe = _attached(hf, encoder=None, denoiser=BLUR, threshold=-2.0)
    images = [_image(seed) for seed in range(3, 9)]
    cosines = [probe.detect(single_turn("tell me", [im], SETTINGS)).cosines[0] for im in images]
    deltas = [min(c[1:]) - c[0] for c in cosines]
    low, high = int(np.argmin(deltas)), int(np.argmax(deltas))
    assert deltas[low] < deltas[high] and deltas[low] < 0, "the stand-ins give distinct drops"
    tau = (deltas[low] + deltas[high]) / 2

    mock = MockBackend("echo")
    backend = _defense(encoder=str(tiny), denoiser=BLUR, threshold=tau).wrap(mock)
    requests = [
        single_turn("tell me", [images[high]], SETTINGS),
        single_turn("no image here", [], SETTINGS),
        single_turn("tell me", [images[low]], SETTINGS),
        GenerationRequest((Message("user", ("tell me", images[high])),), SETTINGS),
    ]
    responses = backend.generate(requests)
    assert mock.batch_sizes == [3], "one inner call for the unflagged requests"
    assert responses[2].text == "I'm sorry, but I can not assist."
    assert [r.text for i, r in enumerate(responses) if i != 2] == [mock.script(h) for h in mock.history]
    forwarded = mock.history[0].messages[0].images[0]
    assert forwarded.to_pil().size == (224, 224), "the target gets checkpoint 0, the resized JPEG"
    assert mock.history[1] == requests[1]
    assert mock.history[2].messages[0].parts[0] == "tell me", "part order is kept"
    assert backend.inner.requests == 3, "CIDER's checks use its own encoder, not the target"
    traces = [r.trace or {} for r in responses]
    assert [t["flagged"] for t in traces] == [False, False, True, False]
    assert [t["refused_by_defense"] for t in traces] == [False, False, True, False]
    assert all(t["defense"] == "cider" and t["threshold"] == tau for t in traces)
    assert traces[1]["checked"] is False and "cosines" not in traces[1], "a request without an image is not checked"
    assert traces[2]["cosines"] == [list(cosines[low])] and min(traces[2]["deltas"][0]) < tau
    assert traces[2]["forwarded_images"] == [] and traces[2]["resized_image_forwarded"] is False
    assert traces[0]["cosines"] == [list(cosines[high])] and traces[0]["lowest_checkpoint"] == [0]
    assert traces[0]["forwarded_images"] == [forwarded.sha256] and traces[0]["resized_image_forwarded"] is True
    assert traces[3]["forwarded_images"] == [mock.history[2].messages[0].images[0].sha256]


def test_original_image_can_be_forwarded(hf: Any) -> None:
    mock = MockBackend("echo")
    image = _image(4)
    backend = _defense(encoder=hf.checkpoint, denoiser=BLUR, threshold=-2.0, forward_resized_image=False).wrap(mock)
    responses = backend.generate([single_turn("q", [image], SETTINGS)])
    assert mock.history[-1].messages[0].images == [image]
    trace = responses[0].trace
    assert trace is not None and trace["forwarded_images"] == [image.sha256]
    assert trace["resized_image_forwarded"] is False and trace["flagged"] is False


def test_runner_runs_cider(repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    spec = RunSpec(
        method="figstep",
        model="mock-comply",
        data=DATA / "safebench_fixture.csv",
        out=tmp_path / "run",
        limit=2,
        defense="cider",
        defense_config={**tiny_cider(tmp_path), "threshold": -2.0},
    )
    mock = MockBackend("comply")
    result = run_reproduction(RunContext(repo_kb), spec, backend=mock)
    assert result.record.defense is not None and result.record.defense.id == "cider"
    assert result.record.counts.model_requests == len(mock.history) == 2 and result.record.counts.generated == 2
    lines = (result.out / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [SampleRecord.model_validate_json(line) for line in lines]
    forwarded: list[str] = []
    for row in rows:
        trace = row.defense
        assert trace is not None and trace["defense"] == "cider" and trace["threshold"] == -2.0
        assert trace["flagged"] is False and trace["refused_by_defense"] is False
        cosines, images = trace["cosines"], trace["forwarded_images"]
        assert isinstance(cosines, list) and len(cosines) == 1 and isinstance(cosines[0], list) and len(cosines[0]) == 8
        assert trace["resized_image_forwarded"] is True and isinstance(images, list) and images != row.image_sha256
        forwarded += [str(image) for image in images]
    assert sorted(forwarded) == sorted(h.messages[0].images[0].sha256 for h in mock.history), "what the model got"
