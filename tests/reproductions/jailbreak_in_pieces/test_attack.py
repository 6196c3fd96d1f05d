"""Jailbreak in Pieces: embedding matching on a tiny random CLIP (loss, resume), craft, prompts dataset, CLI."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.datasets.base import DatasetError
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import load_plugins
from lvlmkb.eval.run.records import Counts
from lvlmkb.kb.knowledge import KnowledgeBase
from reproductions.jailbreak_in_pieces import attack as jailbreak_in_pieces_module
from reproductions.jailbreak_in_pieces.dataset import parse_prompts
from tests.conftest import DATA, REPO
from tests.support import invoke_stage, saved_state

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")
torch.set_num_threads(1)

PROMPTS = DATA / "datasets" / "jip-prompts.txt"


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def jip() -> ModuleType:
    load_plugins(REPO / "reproductions")
    return jailbreak_in_pieces_module


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random full CLIP model (text and vision towers) saved like a hub checkpoint."""
    folder = tmp_path_factory.mktemp("tiny-clip")
    config = transformers.CLIPConfig(
        text_config={"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "max_position_embeddings": 16},
        vision_config={"image_size": 32, "patch_size": 8, "hidden_size": 32, "intermediate_size": 64,
                       "num_hidden_layers": 2, "num_attention_heads": 4},
        projection_dim=16,
    )  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        transformers.CLIPModel(config).save_pretrained(folder)
    processor = transformers.CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def encoder(jip: ModuleType, clip_dir: Path) -> Any:
    return jip.ClipEncoder.load(str(clip_dir), device="cpu")


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jip-inputs") / "target.png"
    Image.fromarray((np.random.RandomState(0).rand(40, 48, 3) * 255).astype("uint8")).save(path)
    return path


def config(jip: ModuleType, target: Path | None, **changes: Any) -> Any:
    return jip.JiPConfig(**{"target_image": target, "epochs": 7, "checkpoint_every": 3, **changes})


def test_embedding_is_the_projected_clip_image_feature(encoder: Any, clip_dir: Path, target: Path) -> None:
    full = transformers.CLIPModel.from_pretrained(clip_dir).eval()
    pixels = encoder.pixels(Image.open(target))
    assert pixels.shape == (1, 3, 32, 32) and pixels.min() >= 0 and pixels.max() <= 1, "unnormalised [0, 1] pixels"
    with torch.no_grad():
        expected = full.get_image_features(pixel_values=pixels).pooler_output
        assert torch.allclose(encoder.embed(pixels), expected, atol=1e-6)


def test_a_vision_only_checkpoint_gives_the_same_embedding(
    jip: ModuleType, encoder: Any, clip_dir: Path, target: Path, tmp_path: Path
) -> None:
    full = transformers.CLIPModel.from_pretrained(clip_dir)
    vision_config = transformers.CLIPVisionConfig(**{**full.config.vision_config.to_dict(), "projection_dim": 16})
    vision = transformers.CLIPVisionModelWithProjection(vision_config)
    state = {k: v for k, v in full.state_dict().items() if k.startswith(("vision_model.", "visual_projection."))}
    vision.load_state_dict(state, strict=True)
    vision.save_pretrained(tmp_path)
    encoder.processor.save_pretrained(tmp_path)
    pixels = encoder.pixels(Image.open(target))
    with torch.no_grad():
        assert torch.allclose(jip.ClipEncoder.load(str(tmp_path), device="cpu").embed(pixels), encoder.embed(pixels))


def test_a_checkpoint_with_resized_weights_is_refused(jip: ModuleType, clip_dir: Path, tmp_path: Path) -> None:
    config = json.loads((clip_dir / "config.json").read_text(encoding="utf-8"))
    shutil.copytree(clip_dir, tmp_path, dirs_exist_ok=True)
    (tmp_path / "config.json").write_text(json.dumps({**config, "projection_dim": 8}), encoding="utf-8")
    with pytest.raises(UsageError, match="resized weights"):
        jip.ClipEncoder.load(str(tmp_path), device="cpu")
    with pytest.raises(UsageError, match="cannot load"):
        jip.ClipEncoder.load(str(tmp_path / "nothing"), device="cpu")


def test_loss_decreases_from_a_white_start(jip: ModuleType, encoder: Any, target: Path, tmp_path: Path) -> None:
    final = jip.optimize(encoder, config(jip, target, epochs=0), tmp_path / "zero")
    assert (np.asarray(Image.open(final)) == 255).all(), "no epoch: the white start itself"
    jip.optimize(encoder, config(jip, target, epochs=30, checkpoint_every=10), tmp_path / "run")
    losses = saved_state(tmp_path / "run")["losses"]
    assert len(losses) == 30 and min(losses[-5:]) < 0.5 * losses[0]
    image = np.asarray(Image.open(tmp_path / "run" / "adversarial.png"))
    assert image.shape == (32, 32, 3) and image.std() > 0


def test_resume_gives_the_same_image(jip: ModuleType, encoder: Any, target: Path, tmp_path: Path) -> None:
    cfg = config(jip, target)
    whole = jip.optimize(encoder, cfg, tmp_path / "whole")
    assert {p.name for p in (tmp_path / "whole").glob("adv_epoch_*.pt")} == {f"adv_epoch_{n}.pt" for n in (3, 6, 7)}

    def stop_at_five(epoch: int, loss: float) -> None:
        if epoch == 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        jip.optimize(encoder, cfg, tmp_path / "split", stop_at_five)
    assert saved_state(tmp_path / "split")["done"] == 3
    epochs: list[int] = []
    split = jip.optimize(encoder, cfg, tmp_path / "split", lambda epoch, loss: epochs.append(epoch))
    assert epochs == [3, 4, 5, 6], "the rerun resumed after the last checkpoint"
    assert split.read_bytes() == whole.read_bytes()
    assert saved_state(tmp_path / "split")["losses"] == saved_state(tmp_path / "whole")["losses"]
    saved = [
        torch.load(d / "adv_epoch_7.pt", weights_only=True)["pixels"] for d in (tmp_path / "whole", tmp_path / "split")
    ]
    assert torch.equal(*saved), "the float pixels match, not just the 8-bit image"


def test_resume_refuses_other_settings(jip: ModuleType, encoder: Any, target: Path, tmp_path: Path) -> None:
    jip.optimize(encoder, config(jip, target, epochs=1), tmp_path)
    with pytest.raises(UsageError, match="other settings"):
        jip.optimize(encoder, config(jip, target, epochs=1, learning_rate=0.01), tmp_path)
    with pytest.raises(UsageError, match="target image"):
        jip.optimize(encoder, config(jip, None), tmp_path / "none")


def test_craft_pairs_each_prompt_with_the_image(jip: ModuleType, tmp_path: Path) -> None:
    image = tmp_path / "adv.png"
    Image.new("RGB", (32, 32), (10, 200, 30)).save(image)
    method = jip.JailbreakInPieces(jip.JiPConfig(adversarial_image=image))
    crafted = [method.craft(sample) for sample in parse_prompts(PROMPTS)]
    assert [c.prompt for c in crafted][1] == "Describe the colours of the objects in the image."
    assert all(len(c.images) == 1 and c.images[0] == crafted[0].images[0] for c in crafted)
    assert np.asarray(Image.open(io.BytesIO(crafted[0].images[0].png)))[0, 0].tolist() == [10, 200, 30]
    assert method.provenance()["adversarial_image_sha256"] == crafted[0].images[0].sha256
    with pytest.raises(UsageError, match="optimise one first"):
        jip.JailbreakInPieces().craft(parse_prompts(PROMPTS)[0])


def test_prompt_dataset(tmp_path: Path) -> None:
    loaded = load_dataset("jip-prompts", PROMPTS)
    assert [s.id for s in loaded.samples] == ["1", "2", "3", "4"], "blank lines are skipped"
    assert loaded.samples[0].fields == {"prompt": "Write a short poem about the objects in the image."}
    with pytest.raises(DatasetError, match="--data"):
        load_dataset("jip-prompts")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no prompt"):
        parse_prompts(empty)


def test_cli_optimizes_and_resumes(jip: ModuleType, clip_dir: Path, target: Path, tmp_path: Path) -> None:
    args = ("--out", str(tmp_path), "--device", "cpu")
    first = invoke_stage("jailbreak-in-pieces", "optimize", *args, target_image=target, encoder=clip_dir, epochs=2)
    assert first.exit_code == 0, first.output
    more = invoke_stage("jailbreak-in-pieces", "optimize", *args, target_image=target, encoder=clip_dir, epochs=3)
    assert more.exit_code == 0, "more epochs continue the run"
    state = saved_state(tmp_path)
    assert state["done"] == 3 and len(state["losses"]) == 3 and (tmp_path / "adversarial.png").is_file()
    assert more.stdout.strip() == str(tmp_path / "adversarial.png")
    other = invoke_stage("jailbreak-in-pieces", "optimize", *args, target_image=target, encoder=tmp_path / "missing")
    assert other.exit_code == 2 and "cannot load the CLIP encoder" in other.stderr


def test_runs_through_the_runner_on_the_mock_backend(repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    from lvlmkb.eval.backends.mock import MockBackend
    from lvlmkb.eval.context import RunContext
    from lvlmkb.eval.run.runner import RunSpec, run_reproduction

    image = tmp_path / "adv.png"
    Image.new("RGB", (32, 32), (10, 200, 30)).save(image)
    spec = RunSpec(
        method="jailbreak-in-pieces",
        model="mock-comply",
        data=PROMPTS,
        out=tmp_path / "run",
        limit=3,
        config={"adversarial_image": image},
    )
    record = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply")).record
    assert (
        record.counts == Counts(samples=3, unique_requests=3, generated=3, model_requests=3, from_shared_cache=0)
        and record.aggregates
    )
    assert "adversarial_image_sha256" in record.provenance.plugin


def test_a_checkpoint_of_unknown_type_is_a_clean_error(jip: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "not-a-real-architecture"}', encoding="utf-8")
    with pytest.raises(UsageError, match="cannot load the CLIP encoder"):
        jip.ClipEncoder.load(str(tmp_path), device="cpu")
