"""MOSSBench as a benchmark: the question and image sent unchanged, stimulus names, the contrast set."""

from __future__ import annotations

import pytest

from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import get_method
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.conftest import DATA, REPO

pytest.importorskip("PIL")


def test_question_and_image_are_sent_unchanged() -> None:
    samples = load_dataset("mossbench", DATA / "datasets" / "mossbench").samples
    crafted = get_method(REPO / "reproductions", "mossbench")().craft(samples[1])
    assert crafted.prompt == samples[1].fields["question"] and len(crafted.images) == 1
    assert (crafted.category, crafted.meta["over"]) == ("Negated Harm", "type 2")


def test_contrast_set_loads_from_its_folder() -> None:
    dataset = load_dataset("mossbench-contrast", DATA / "datasets" / "mossbench-contrast")
    assert [s.category for s in dataset.samples] == [
        "Exaggerated Risk",
        "Negated Harm",
        "Counterintuitive Interpretation",
    ]
    assert all(s.image is not None and s.image.is_file() for s in dataset.samples)


def test_a_run_is_compared_with_the_refusal_table(repo_kb: KnowledgeBase) -> None:
    reported = RunContext(repo_kb).reported("li2024mossbench", "llava-1.5-13b", "", "mossbench")
    assert [(r.metric, r.value) for _, r in reported] == [("Refusal rate (%)", 9.67)]
    # the benign set's numbers are not the contrast set's (declared unreported); FigStep-Pro keeps its own
    assert RunContext(repo_kb).reported("li2024mossbench", "llava-1.5-13b", "", "mossbench-contrast") == []
    pro = RunContext(repo_kb).reported("gong2023figstep", "gpt-4o", "figstep-pro", "figstep-pro")
    assert [(r.benchmark, r.setting) for _, r in pro] == [("SafeBench-Tiny", "figstep-pro")]
