"""VLSBench as a benchmark: the instruction and image sent unchanged, and the paper's Table 3 beside a run."""

from __future__ import annotations

import pytest

from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import get_method
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.conftest import DATA, REPO

pytest.importorskip("PIL")


def test_instruction_and_image_are_sent_unchanged() -> None:
    samples = load_dataset("vlsbench", DATA / "datasets" / "vlsbench").samples
    crafted = get_method(REPO / "reproductions", "vlsbench")().craft(samples[0])
    assert crafted.prompt == samples[0].fields["instruction"] and len(crafted.images) == 1
    assert crafted.meta["sub_category"] == samples[0].fields.get("sub_category")


def test_a_run_is_compared_with_table_3(repo_kb: KnowledgeBase) -> None:
    reported = RunContext(repo_kb).reported("hu2024vlsbench", "llava-1.5-7b", "", "vlsbench")
    assert [(r.metric, r.value, r.n) for _, r in reported] == [("Safety rate (%)", 6.6, 2241)]
