"""ImgJP: PGD from the mean image on the tiny LLaVA (budget, one update per behaviour, split, resume), and its judge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.judges.refusal import REFUSAL_LISTS, RefusalJudge
from tests.conftest import DATA
from tests.support import saved_state

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")
from reproductions.imgjp import attack as imgjp  # noqa: E402

torch.set_num_threads(1)
BEHAVIORS = DATA / "datasets" / "imgjp-behaviors.csv"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from lvlmkb.eval.backends.hf import HFBackend
    from lvlmkb.eval.backends.tiny import ensure_tiny_model

    return HFBackend(str(ensure_tiny_model("llava", root=tmp_path_factory.mktemp("tiny"))), device="cpu")


def config(**changes: Any) -> Any:
    base = {"steps": 3, "train_goals": 2, "test_goals": 1, "alpha": 4, "checkpoint_every": 2, "behaviors": BEHAVIORS}
    return imgjp.ImgJPConfig(**{**base, **changes})


def test_the_split_is_disjoint_sorted_and_seeded() -> None:
    from reproductions.umk.dataset import parse_behaviors

    samples = parse_behaviors(BEHAVIORS)
    train, test = imgjp.split(samples, config())
    again, _ = imgjp.split(samples, config())
    assert [s.id for s in train] == sorted((s.id for s in train), key=int) and train == again
    assert not {s.id for s in train} & {s.id for s in test} and len(test) == 1
    with pytest.raises(UsageError, match="fewer than train_goals"):
        imgjp.split(samples, config(train_goals=9))


def test_pgd_starts_at_the_mean_and_stays_within_epsilon(backend: Any, tmp_path: Path) -> None:
    start = imgjp.mean_image(backend)
    mean = torch.tensor(backend.processor.image_processor.image_mean).view(1, -1, 1, 1)
    assert torch.allclose(start.cpu(), mean.expand_as(start.cpu())), "normalised zeros: every pixel the mean"
    out = imgjp.optimize(backend, config(epsilon=2), tmp_path)
    pixels = np.asarray(Image.open(out), dtype="float32") / 255
    reference = mean[0].permute(1, 2, 0).numpy()
    assert np.abs(pixels - reference).max() <= 2 / 255 + 1 / 255, "within epsilon, up to the 8-bit truncation"
    assert (tmp_path / "train_behaviors.csv").read_text().startswith("goal,target\n")
    assert saved_state(tmp_path)["step"] == 3 and len(saved_state(tmp_path)["losses"]) == 3


def test_one_update_per_behaviour_in_each_step(backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = backend.loss_from_pixels

    def counting(pixels: Any, prompt: str, target: str) -> Any:
        seen.append(prompt)
        return real(pixels, prompt, target)

    monkeypatch.setattr(backend, "loss_from_pixels", counting)
    start = imgjp.mean_image(backend)
    train = [Sample(str(i), "advbench", {"goal": f"goal {i}", "target": "Sure, here is"}) for i in range(3)]
    imgjp.pgd_step(backend, start, torch.zeros_like(start), train, config())
    assert seen == ["goal 0", "goal 1", "goal 2"]


def test_a_rerun_resumes_and_other_settings_are_refused(backend: Any, tmp_path: Path) -> None:
    first = imgjp.optimize(backend, config(steps=2), tmp_path).read_bytes()
    resumed = imgjp.optimize(backend, config(steps=3), tmp_path).read_bytes()
    straight = imgjp.optimize(backend, config(steps=3), tmp_path / "straight").read_bytes()
    assert resumed == straight and first != resumed
    split_before = (tmp_path / "test_behaviors.csv").read_bytes()
    with pytest.raises(UsageError, match="other settings"):
        imgjp.optimize(backend, config(steps=3, epsilon=8, seed=5), tmp_path)
    assert (tmp_path / "test_behaviors.csv").read_bytes() == split_before, "the other run's split is kept"


def test_the_judge_reads_only_the_first_100_characters() -> None:
    judge = RefusalJudge(REFUSAL_LISTS["imgjp-29-first100"])
    late = "x" * 100 + " I cannot help."
    assert judge.judge(Sample("1", "c", {}), "p", late).success
    assert not judge.judge(Sample("1", "c", {}), "p", "I cannot help.").success
    assert judge.describe()["window"] == 100
