"""The Hugging Face backend on tiny random models (CPU): shapes, determinism, batching, loss, errors."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # huggingface_hub reads it once, at import
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

from PIL import Image  # noqa: E402

from lvlmkb.cachedir import cache_dir  # noqa: E402
from lvlmkb.eval.backends.base import (  # noqa: E402
    Backend,
    BackendError,
    BackendOutOfMemoryError,
    GenerationRequest,
    GenerationSettings,
    ImageInput,
    Message,
    single_turn,
)
from lvlmkb.eval.backends.hf import HFBackend  # noqa: E402
from lvlmkb.eval.backends.hf_inputs import eos_set, group_by_settings, is_out_of_memory, trim_generated  # noqa: E402
from lvlmkb.eval.backends.registry import BackendOptions, backend_class  # noqa: E402
from lvlmkb.eval.backends.tiny import TINY_FAMILIES, TINY_PREFIX, ensure_tiny_model, tiny_dir  # noqa: E402
from lvlmkb.kb.schema import ModelEntry  # noqa: E402
from tests.support import reference_loss  # noqa: E402

FAMILIES = ("janus", "llava")
SETTINGS = GenerationSettings(max_new_tokens=10)


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny models only lose from intra-op threads, and on a busy 2-core machine they lose a lot."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Both tiny models, built once per session in a temporary cache that LVLMKB_CACHE points at."""
    root = tmp_path_factory.mktemp("lvlmkb-cache")
    for family in FAMILIES:
        ensure_tiny_model(family, root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LVLMKB_CACHE", str(root))
        yield root


@pytest.fixture(scope="session")
def backends(tiny_root: Path) -> dict[str, HFBackend]:
    """One loaded backend per tiny family, shared by the session."""
    loaded = {family: HFBackend(TINY_PREFIX + family, device="cpu") for family in FAMILIES}
    for backend in loaded.values():
        assert backend.model is not None
    return loaded


def image(width: int, height: int, shade: int) -> ImageInput:
    pixels = Image.new("RGB", (width, height), (shade, 255 - shade, (3 * shade) % 256))
    pixels.putpixel((0, 0), (0, 0, 0))
    return ImageInput.from_pil(pixels)


def varied_requests(settings: GenerationSettings = SETTINGS) -> list[GenerationRequest]:
    """Four requests with different prompt lengths and image sizes."""
    sizes = [(40, 30), (64, 64), (17, 50), (90, 33)]
    prompts = [
        "what is this?",
        "describe the picture in detail please",
        "hi",
        "list the steps shown in the image one two three",
    ]
    return [
        single_turn(prompt, [image(w, h, 40 * i)], settings)
        for i, ((w, h), prompt) in enumerate(zip(sizes, prompts, strict=True))
    ]


def entry(checkpoint: str, **fields: str) -> ModelEntry:
    return ModelEntry(id="test-model", label="Test model", family="test", checkpoint=checkpoint, backend="hf", **fields)


# -- tiny models ---------------------------------------------------------------------------------


def test_cache_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LVLMKB_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    assert tiny_dir("janus") == tmp_path / "tiny" / "janus-v1"
    monkeypatch.delenv("LVLMKB_CACHE")
    assert cache_dir() == Path.home() / ".cache" / "lvlmkb"


@pytest.mark.parametrize("family", FAMILIES)
def test_tiny_build_is_deterministic_and_atomic(family: str, tiny_root: Path, tmp_path: Path) -> None:
    first = ensure_tiny_model(family, tiny_root)
    assert first == tiny_root / "tiny" / f"{family}-v1"
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert ensure_tiny_model(family, tiny_root) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp  # reused, not rebuilt
    (tmp_path / "tiny" / f"{family}-v1").mkdir(parents=True)  # a half-built folder without the marker
    second = ensure_tiny_model(family, tmp_path)
    for name in ("model.safetensors", "tokenizer.json", "chat_template.jinja", "config.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == [f"{family}-v1"]  # no temp folder left


def test_unknown_tiny_family(tiny_root: Path) -> None:
    assert set(FAMILIES) <= set(TINY_FAMILIES)
    with pytest.raises(ValueError, match="unknown tiny model family"):
        ensure_tiny_model("nope", tiny_root)
    with pytest.raises(BackendError, match="unknown tiny model family"):
        _ = HFBackend(TINY_PREFIX + "nope").model


@pytest.mark.parametrize(
    ("family", "rendered"),
    [
        ("janus", "<|User|>: <image_placeholder>\nwhat is this?\n\n<|Assistant|>:"),
        ("llava", "USER: <image>\nwhat is this? ASSISTANT:"),
    ],
)
def test_round_trip_through_auto_classes(family: str, rendered: str, tiny_root: Path) -> None:
    folder = ensure_tiny_model(family, tiny_root)
    processor = transformers.AutoProcessor.from_pretrained(folder)
    model = transformers.AutoModelForImageTextToText.from_pretrained(folder)
    assert model.config.model_type == family
    assert processor.tokenizer.padding_side == "left"
    conversation = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "what is this?"}]}]
    assert processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False) == rendered


# -- generation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_generate_shapes_and_determinism(family: str, backends: dict[str, HFBackend]) -> None:
    backend = backends[family]
    assert isinstance(backend, Backend)
    requests = varied_requests()[:2]
    first = backend.generate(requests)
    assert len(first) == 2
    for response in first:
        assert isinstance(response.text, str)
        assert 0 < len(response.token_ids) <= SETTINGS.max_new_tokens
        assert all(isinstance(token, int) for token in response.token_ids)
    assert backend.generate(requests) == first


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_equals_one_at_a_time(family: str, backends: dict[str, HFBackend]) -> None:
    backend = backends[family]
    requests = varied_requests()
    batched = backend.generate(requests)
    alone = [backend.generate([request])[0] for request in requests]
    assert [r.token_ids for r in batched] == [r.token_ids for r in alone]
    assert [r.text for r in batched] == [r.text for r in alone]


def test_mixed_settings_split_and_keep_order(backends: dict[str, HFBackend]) -> None:
    backend = backends["llava"]
    short = GenerationSettings(max_new_tokens=3)
    requests = varied_requests()
    mixed = [requests[0], varied_requests(short)[1], requests[2], varied_requests(short)[3]]
    out = backend.generate(mixed)
    assert len(out) == 4 and len(out[1].token_ids) <= 3 and len(out[3].token_ids) <= 3
    assert [r.token_ids for r in out] == [backend.generate([r])[0].token_ids for r in mixed]


def test_sampling_is_seeded(backends: dict[str, HFBackend]) -> None:
    backend = backends["janus"]
    sampled = GenerationSettings(max_new_tokens=6, temperature=0.8, top_p=0.9, seed=7)
    requests = varied_requests(sampled)[:2]
    assert backend.generate(requests) == backend.generate(requests)


def test_text_only_and_multi_image_turns(backends: dict[str, HFBackend]) -> None:
    backend = backends["janus"]
    two_images = GenerationRequest((Message.user(image(30, 30, 1), "compare", image(50, 20, 2), "these"),), SETTINGS)
    out = backend.generate([single_turn("no image here", (), SETTINGS), two_images])
    assert len(out) == 2


def test_out_of_memory_becomes_backend_error(backends: dict[str, HFBackend], monkeypatch: pytest.MonkeyPatch) -> None:
    backend = backends["llava"]

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(backend.model, "generate", boom)
    with pytest.raises(BackendOutOfMemoryError):
        backend.generate(varied_requests()[:1])


def test_helpers_trim_group_and_oom() -> None:
    assert trim_generated([5, 6, 2, 7, 0, 0], {2}) == (5, 6)
    assert trim_generated([5, 6], set()) == (5, 6)
    assert eos_set(None) == set() and eos_set(3) == {3} and eos_set([3, 4]) == {3, 4}
    a, b = GenerationSettings(max_new_tokens=1), GenerationSettings(max_new_tokens=2)
    requests = [single_turn(str(i), (), s) for i, s in enumerate([a, b, a, b, b])]
    assert group_by_settings(requests) == [(a, [0, 2]), (b, [1, 3, 4])]
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory"))
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: out of memory"))
    assert not is_out_of_memory(ValueError("out of memory"))


# -- white-box loss ------------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_loss_gradient_reaches_pixels(family: str, backends: dict[str, HFBackend]) -> None:
    backend = backends[family]
    images = [image(40, 30, 9)]
    pixels = backend.pixel_inputs(images)
    assert pixels.ndim == 4 and pixels.shape[:2] == (1, 3)
    assert not pixels.requires_grad and float(pixels.min()) >= 0.0 and float(pixels.max()) <= 1.0
    prepared = backend.prepare_image(images[0].to_pil())  # the family's original step, as in generation
    reference = backend.processor.image_processor(images=[prepared], return_tensors="pt")["pixel_values"]
    assert torch.equal(backend.normalize(pixels), reference)

    delta = torch.zeros_like(pixels, requires_grad=True)
    loss = backend.loss_from_pixels(pixels + delta, "what is this?", "Sure, here is")
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()  # type: ignore[no-untyped-call]
    assert delta.grad is not None
    assert torch.isfinite(delta.grad).all() and float(delta.grad.abs().sum()) > 0
    assert all(p.grad is None for p in backend.model.parameters())
    same = backend.loss(images, "what is this?", "Sure, here is")
    assert torch.allclose(same, loss.detach())
    reference = reference_loss(backend, images[0].to_pil(), "what is this?", "Sure, here is")
    assert torch.allclose(loss.detach(), reference, atol=1e-6), "the model's loss on its processor's own inputs"


def test_empty_target_is_an_error(backends: dict[str, HFBackend]) -> None:
    backend = backends["llava"]
    with pytest.raises(BackendError, match="target is empty"):
        backend.loss([image(32, 32, 0)], "what is this?", "")


# -- construction, errors, description -----------------------------------------------------------


def test_from_entry_is_lazy_and_never_trusts_remote_code(tiny_root: Path) -> None:
    backend = HFBackend.from_entry(entry("lvlmkb-tiny/llava"), BackendOptions())
    assert backend.trust_remote_code is False
    assert backend._model is None  # nothing loaded yet
    info = backend.describe()
    assert backend._model is None
    assert set(info) == {
        "backend",
        "checkpoint",
        "revision",
        "commit",
        "dtype",
        "device",
        "transformers",
        "torch",
        "trust_remote_code",
        "preprocessing",
        "chat_template_sha256",
        "processor",
    }
    assert info["chat_template_sha256"] is None, "the processor is not loaded by describe()"
    assert info["backend"] == "hf" and info["checkpoint"] == "lvlmkb-tiny/llava" and info["trust_remote_code"] is False
    assert info["torch"] == torch.__version__ and info["transformers"] == transformers.__version__
    trusted = HFBackend.from_entry(entry("org/model", revision="abc123"), BackendOptions(trust_remote_code=True))
    assert trusted.trust_remote_code is True and trusted.describe()["revision"] == "abc123"
    assert backend_class("hf") is HFBackend


def test_dtype_resolution() -> None:
    assert HFBackend("x/y", device="cpu").dtype == "float32"
    assert HFBackend("x/y", device="cuda").dtype == "bfloat16"
    assert HFBackend.from_entry(entry("x/y", dtype="float16"), BackendOptions(device="cpu")).dtype == "float16"
    assert (
        HFBackend.from_entry(entry("x/y", dtype="float16"), BackendOptions(device="cpu", dtype="bfloat16")).dtype
        == "bfloat16"
    )
    with pytest.raises(BackendError, match="unknown dtype"):
        HFBackend("x/y", dtype="int3")


def test_missing_checkpoint_offline_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    backend = HFBackend.from_entry(entry("lvlmkb-test/no-such-model", revision="0123abc"), BackendOptions(device="cpu"))
    start = time.perf_counter()
    with pytest.raises(BackendError) as caught:
        backend.generate([single_turn("hi")])
    assert time.perf_counter() - start < 10
    message = str(caught.value)
    assert "lvlmkb-test/no-such-model" in message
    assert "hf download lvlmkb-test/no-such-model --revision 0123abc" in message
    assert "huggingface-cli download" in message
    assert "HF_HOME" in message and "HF_HUB_OFFLINE=1" in message
    assert "Traceback" not in message


def test_a_missing_processor_library_is_a_clean_error(tiny_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def needs_torchvision(*_args: object, **_kwargs: object) -> None:
        raise ImportError("Qwen2VLVideoProcessor requires the Torchvision library but it was not found.")

    monkeypatch.setattr(transformers.AutoProcessor, "from_pretrained", needs_torchvision)
    with pytest.raises(BackendError, match="requires the Torchvision library") as caught:
        _ = HFBackend(TINY_PREFIX + "llava", device="cpu").model
    assert "torchvision" in caught.value.hint
