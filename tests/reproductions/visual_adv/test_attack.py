"""Visual adversarial examples: PGD on the tiny LLaVA (loss, L-inf budget, checkpoints, resume), craft, CLI."""

from __future__ import annotations

import dataclasses
import io
import itertools
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
from reproductions.visual_adv import attack as visual_adv_module
from reproductions.visual_adv.dataset import parse_instructions
from tests.conftest import DATA, REPO
from tests.support import invoke_stage, saved_state

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")
torch.set_num_threads(1)

INSTRUCTIONS = DATA / "datasets" / "visual-adv-instructions.csv"
# Harmless stand-in targets (upstream: the user's harmful corpus).
CORPUS = ["the cat is red", "a dog on the street", "what a blue car", "say one two three"]


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def va() -> ModuleType:
    load_plugins(REPO / "reproductions")
    return visual_adv_module


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny-cache")


@pytest.fixture(scope="module")
def backend(tiny_root: Path) -> Any:
    from lvlmkb.eval.backends.hf import HFBackend
    from lvlmkb.eval.backends.tiny import ensure_tiny_model

    return HFBackend(str(ensure_tiny_model("llava", root=tiny_root)), device="cpu")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("visual-adv-inputs")
    pixels = (np.random.RandomState(0).rand(40, 48, 3) * 255).astype("uint8")
    Image.fromarray(pixels).save(folder / "clean.png")
    (folder / "corpus.csv").write_text("".join(f'"{line}",\n' for line in CORPUS), encoding="utf-8")
    return folder / "corpus.csv", folder / "clean.png"


def config(va: ModuleType, inputs: tuple[Path, Path], **changes: Any) -> Any:
    corpus, image = inputs
    base = {"iterations": 7, "batch_size": 4, "checkpoint_every": 2, "alpha": 4, "corpus": corpus, "image": image}
    return va.VisualAdvConfig(**{**base, **changes})


def pixels_of(source: Any) -> Any:
    return torch.from_numpy(np.asarray(Image.open(source).convert("RGB"), dtype="float32") / 255).permute(2, 0, 1)


def test_corpus_is_read_as_upstream(va: ModuleType, tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    assert va.load_corpus(inputs[0]) == CORPUS
    text = tmp_path / "corpus.txt"
    text.write_text("one target\n\nit\\'s kept verbatim\n", encoding="utf-8")
    assert va.load_corpus(text) == ["one target", "it\\'s kept verbatim"]


def test_loss_decreases(va: ModuleType, backend: Any, inputs: tuple[Path, Path], tmp_path: Path) -> None:
    # The whole corpus in every batch: the objective is fixed, so signed steps must lower it.
    cfg = config(va, inputs, epsilon=None, iterations=9, checkpoint_every=5)
    va.optimize(backend, cfg, tmp_path)
    losses = saved_state(tmp_path)["losses"]
    assert len(losses) == 10 and losses[-1] < losses[0] - 0.01
    assert all(b <= a + 1e-4 for a, b in itertools.pairwise(losses))


@pytest.mark.parametrize("epsilon", [4, 16])
def test_linf_budget_holds(
    va: ModuleType, backend: Any, inputs: tuple[Path, Path], tmp_path: Path, epsilon: int
) -> None:
    from lvlmkb.eval.backends.base import ImageInput

    cfg = config(va, inputs, epsilon=epsilon, alpha=3, iterations=5)
    final = va.optimize(backend, cfg, tmp_path)
    clean = backend.pixel_inputs([ImageInput.from_pil(Image.open(inputs[1]))])[0]
    noise = torch.load(tmp_path / "adv_step_5.pt", weights_only=True)[0]
    adv = clean + noise
    assert noise.abs().max() <= epsilon / 255 + 1e-6 and noise.abs().max() > (epsilon - 1) / 255
    assert adv.min() >= 0 and adv.max() <= 1
    image = pixels_of(final)
    assert image.shape == clean.shape and (image - clean).abs().max() <= epsilon / 255 + 1e-6
    assert (image - adv).abs().max() <= 0.5 / 255 + 1e-6, "the PNG is the state rounded to 8 bits"


def test_checkpoints_and_resume_give_the_same_image(
    va: ModuleType, backend: Any, inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    cfg = config(va, inputs, epsilon=8, batch_size=2)
    whole = va.optimize(backend, cfg, tmp_path / "whole")
    names = {p.name for p in (tmp_path / "whole").glob("adv_step_*.png")}
    assert names == {f"adv_step_{n}.png" for n in (0, 2, 4, 6, 7)}

    def stop_at_five(step: int, loss: float) -> None:
        if step == 5:
            raise Interrupted

    with pytest.raises(Interrupted):
        va.optimize(backend, cfg, tmp_path / "split", stop_at_five)
    assert saved_state(tmp_path / "split")["step"] == 4
    steps: list[int] = []
    split = va.optimize(backend, cfg, tmp_path / "split", lambda step, loss: steps.append(step))
    assert steps == [5, 6, 7], "the rerun resumed after the last checkpoint"
    assert split.read_bytes() == whole.read_bytes()
    assert saved_state(tmp_path / "split")["losses"] == saved_state(tmp_path / "whole")["losses"]
    assert va.optimize(backend, cfg, tmp_path / "split", lambda *_: steps.append(-1)) == split and steps[-1] == 7


def test_resume_refuses_other_settings(va: ModuleType, backend: Any, inputs: tuple[Path, Path], tmp_path: Path) -> None:
    va.optimize(backend, config(va, inputs, iterations=1), tmp_path)
    with pytest.raises(UsageError, match="other settings"):
        va.optimize(backend, config(va, inputs, iterations=1, seed=1), tmp_path)


def test_bad_inputs_are_usage_errors(va: ModuleType, backend: Any, inputs: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="fewer than a batch"):
        va.optimize(backend, config(va, inputs, batch_size=8), tmp_path)
    with pytest.raises(UsageError, match="corpus"):
        va.optimize(backend, config(va, inputs, corpus=None), tmp_path)


def test_craft_attaches_the_image(va: ModuleType, backend: Any, inputs: tuple[Path, Path], tmp_path: Path) -> None:
    final = va.optimize(backend, config(va, inputs, epsilon=None, iterations=0), tmp_path)
    method = va.VisualAdv(va.VisualAdvConfig(adversarial_image=final))
    samples = parse_instructions(INSTRUCTIONS)
    crafted = method.craft(samples[1])
    assert crafted.prompt == "Write a short poem about a red bicycle." and crafted.sample_id == "2"
    assert len(crafted.images) == 1 and (pixels_of(final) == pixels_of(io.BytesIO(crafted.images[0].png))).all()
    assert method.setting() == "unconstrained"
    assert method.provenance()["adversarial_image_sha256"] == crafted.images[0].sha256


def test_missing_adversarial_image_is_a_usage_error(va: ModuleType, tmp_path: Path) -> None:
    sample = parse_instructions(INSTRUCTIONS)[0]
    with pytest.raises(UsageError, match="optimise one first"):
        va.VisualAdv().craft(sample)
    with pytest.raises(UsageError, match="does not exist"):
        va.VisualAdv(va.VisualAdvConfig(adversarial_image=tmp_path / "none.png")).craft(sample)


def test_instruction_dataset(tmp_path: Path) -> None:
    loaded = load_dataset("visual-adv-instructions", INSTRUCTIONS)
    assert [s.id for s in loaded.samples] == ["1", "2", "3", "4", "5"]
    assert loaded.samples[0].fields == {"instruction": "Describe the weather in a small seaside town."}
    headed = tmp_path / "headed.csv"
    headed.write_text("instruction\nSay hello.\n\n", encoding="utf-8")
    assert [s.fields["instruction"] for s in parse_instructions(headed)] == ["Say hello."]
    with pytest.raises(DatasetError, match="--data"):
        load_dataset("visual-adv-instructions")


@pytest.mark.parametrize("model", ["tiny-llava", "tiny-gemma-3"])
def test_cli_runs_on_a_white_box_family(
    model: str, inputs: tuple[Path, Path], tiny_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LVLMKB_CACHE", str(tiny_root))
    corpus, image = inputs
    args = ("--model", model, "--out", str(tmp_path))
    result = invoke_stage(
        "visual-adv", "optimize", *args, corpus=corpus, image=image, iterations=2, batch_size=2, epsilon=None
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(tmp_path / "adversarial.png") and (tmp_path / "adversarial.png").is_file()
    assert "step 2/2 loss" in result.stderr
    assert saved_state(tmp_path)["identity"]["epsilon"] is None


def test_cli_refuses_a_model_without_gradients(va: ModuleType, inputs: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, image = inputs
    result = invoke_stage(
        "visual-adv", "optimize", "--model", "mock-comply", "--out", str(tmp_path), corpus=corpus, image=image
    )
    assert result.exit_code == 2 and "gives no gradients" in result.stderr and "Traceback" not in result.output


def test_runs_through_the_runner_on_the_mock_backend(repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    from lvlmkb.eval.backends.mock import MockBackend
    from lvlmkb.eval.context import RunContext
    from lvlmkb.eval.run.runner import RunSpec, run_reproduction

    image = tmp_path / "adv.png"
    Image.new("RGB", (32, 32), (10, 200, 30)).save(image)
    spec = RunSpec(
        method="visual-adv",
        model="mock-comply",
        data=INSTRUCTIONS,
        out=tmp_path / "run",
        limit=3,
        config={"adversarial_image": image, "epsilon": None},
    )
    record = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply")).record
    assert (
        record.counts == Counts(samples=3, unique_requests=3, generated=3, model_requests=3, from_shared_cache=0)
        and record.aggregates
    )
    assert record.method.setting == "unconstrained" and "adversarial_image_sha256" in record.provenance.plugin
    assert record.provenance.plugin["optimization"].startswith("unknown: no state.json"), (
        "no state.json beside the image"
    )


def test_the_record_shows_the_optimisation_that_ran(
    va: ModuleType,
    inputs: tuple[Path, Path],
    tiny_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    repo_kb: KnowledgeBase,
) -> None:
    from lvlmkb.eval.backends.mock import MockBackend
    from lvlmkb.eval.context import RunContext
    from lvlmkb.eval.run.runner import RunSpec, run_reproduction

    monkeypatch.setenv("LVLMKB_CACHE", str(tiny_root))
    corpus, image = inputs
    args = ("--model", "tiny-llava", "--out", str(tmp_path / "opt"))
    result = invoke_stage(
        "visual-adv", "optimize", *args, corpus=corpus, image=image, iterations=2, batch_size=2, epsilon=8
    )
    assert result.exit_code == 0, result.output
    state = saved_state(tmp_path / "opt")
    config = {"adversarial_image": tmp_path / "opt" / "adversarial.png"}
    spec = RunSpec(method="visual-adv", model="mock-comply", data=INSTRUCTIONS, out=tmp_path / "run", limit=2)
    spec = dataclasses.replace(spec, config=config)
    record = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply")).record
    assert (
        record.method.config["iterations"],
        record.method.config["batch_size"],
        record.method.config["epsilon"],
    ) == (2, 2, 8)
    assert record.provenance.plugin["optimized_steps_done"] == "2"
    assert record.provenance.plugin["optimized_final_loss"] == f"{state['losses'][-1]:.6g}"
    assert record.method.setting == "constrained-8"
