"""SafeBench as a benchmark: FigStep's vanilla query (the question, text only) and its Table 1 baseline rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import get_method
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.conftest import DATA, REPO


def test_the_question_is_asked_as_it_is_with_no_image() -> None:
    sample = load_dataset("safebench", DATA / "safebench_fixture.csv").samples[0]
    method: Any = get_method(REPO / "reproductions", "safebench")
    crafted = method().craft(sample)
    assert (crafted.prompt, crafted.images) == (sample.fields["question"], ())
    assert method().setting() == "baseline"
    assert method(method.Config(field="instruction")).craft(sample).prompt == sample.fields["instruction"]


def test_a_run_compares_with_the_vanilla_query_rows(repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    reported = RunContext(repo_kb).reported("gong2023figstep", "llava-1.5-7b", "baseline", "safebench")
    assert [(r.setting, r.value) for _, r in reported] == [("baseline", 57.4)]
    spec = RunSpec(method="safebench", model="mock-refuse", data=DATA / "safebench_fixture.csv", out=tmp_path / "r")
    record = run_reproduction(RunContext(repo_kb), spec).record
    assert record.method.kind == "benchmark" and record.method.setting == "baseline"
