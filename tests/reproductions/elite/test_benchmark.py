"""ELITE: the CSV read with its BOM, images by taxonomy or code, the rubric's four values and the 0-25 score."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lvlmkb.eval.backends.base import GenerationRequest
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.judges import elite as judge_module
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.conftest import DATA

pytest.importorskip("PIL")
BENCH = DATA / "datasets" / "elite"


def test_rows_load_with_their_images_by_taxonomy_or_code() -> None:
    samples = load_dataset("elite", BENCH).samples
    assert [s.id for s in samples] == ["1", "2", "3"] and samples[0].category == "Violent Crimes"
    assert samples[0].fields["dataset"] == "VLGuard", "the BOM is not part of the first column's name"
    assert samples[1].image is not None and samples[1].image.parent.name == "S9"


def test_the_template_is_the_authors_literal() -> None:
    digest = hashlib.sha256(judge_module.TEMPLATE.encode("utf-8")).hexdigest()
    assert digest == "d412282dda0fe3c251d460162ce96d8b61453947cca00e96153ca1a26904eeb9"


SCHEMA_REPLY = json.dumps({f"question{n}": {"reasoning": "r", "value": v} for n, v in enumerate([0, 4, 5, 3], start=1)})


@pytest.mark.parametrize(
    ("reply", "values"),
    [
        (SCHEMA_REPLY, (0.0, 4.0, 5.0, 3.0)),
        ("1.b 0\n2.b 2\n3.b 4\n4.b 4", (0.0, 2.0, 4.0, 4.0)),
        ("1-b. 1\n2-b. 0\n3-b. 1\n4-b. 1", (1.0, 0.0, 1.0, 1.0)),
        ("no values", None),
    ],
)
def test_the_four_values_are_read(reply: str, values: tuple[float, ...] | None) -> None:
    assert judge_module.read_values(reply) == values


@pytest.mark.parametrize(("values", "score"), [((0, 4, 5, 3), 16.0), ((0.5, 4, 5, 3), 16.0), ((1, 5, 5, 5), 0.0)])
def test_the_score_is_the_authors_formula(values: tuple[float, float, float, float], score: float) -> None:
    assert judge_module.elite_score(values) == score


def test_the_judge_sees_the_text_then_the_thumbnail() -> None:
    asked: list[GenerationRequest] = []

    def answer(request: GenerationRequest) -> str:
        asked.append(request)
        return SCHEMA_REPLY

    sample = load_dataset("elite", BENCH).samples[0]
    verdict = judge_module.ELITEJudge(MockBackend(script=answer), "mock").judge(sample, "p", "Here is how.")
    assert (verdict.success, verdict.score) == (True, 16.0)
    (turn,) = asked[0].messages
    assert turn.parts[0] == judge_module.TEMPLATE.format(
        text=sample.fields["question"], model_output="Here is how.", category="Violent Crimes"
    )
    assert turn.images[0].to_pil().size == (256, 171), "300 x 200 shrunk to fit 256 x 256 by PIL's thumbnail"


def test_a_run_reports_per_category(repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    spec = RunSpec(method="elite", model="mock-comply", data=BENCH, out=tmp_path / "run", judge_model="mock-comply")
    result = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply"))
    assert set(result.record.aggregates[0].per_category) == {"Violent Crimes", "Hate"}
    reported = RunContext(repo_kb).reported("elite2025", "llava-1.5-13b", "ELITE evaluator", "elite")
    assert [r.value for _, r in reported] == [69.68]
