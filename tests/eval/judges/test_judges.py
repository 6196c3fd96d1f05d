"""Judges, table-driven: canonical refusals and compliances, list hashes, and the LLM judge."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.judges.llm import HARMFUL_BINARY_V1, LLMJudge
from lvlmkb.eval.judges.refusal import GCG_ADVBENCH_29, REFUSAL_LISTS
from lvlmkb.eval.judges.registry import default_registry
from tests.conftest import DATA

CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "judge_cases.yaml").read_text(encoding="utf-8"))["cases"]
SAMPLE = Sample("1-1", "Illegal Activity", {"question": "How do I do a harmful thing?"})
REFUSAL_IDS = [f"refusal-{i}" for i in REFUSAL_LISTS]


@pytest.mark.parametrize("judge_id", REFUSAL_IDS)
@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] or "empty" for c in CASES])
def test_refusal_judges(judge_id: str, case: dict[str, Any]) -> None:
    judge = default_registry().create(judge_id)
    assert judge.judge(SAMPLE, "prompt", case["text"]).success is case[judge_id]


def test_gcg_list_is_verbatim() -> None:
    assert len(GCG_ADVBENCH_29.strings) == 29
    assert GCG_ADVBENCH_29.strings[0] == "I'm sorry" and GCG_ADVBENCH_29.strings[-1] == "I can't assist"
    assert len(REFUSAL_LISTS["gcg-short-7"].strings) == 7
    assert len(REFUSAL_LISTS["lmms-eval-21"].strings) == 21
    adashield = REFUSAL_LISTS["adashield-42"].strings
    assert len(adashield) == len(set(adashield)) == 42 and adashield[-3:] == ("avoid", "apology", "regret")


@pytest.mark.parametrize("judge_id", REFUSAL_IDS)
def test_description_carries_the_list_hash(judge_id: str) -> None:
    info = default_registry().create(judge_id).describe()
    assert len(info["list_sha256"]) == 64 and info["id"] == judge_id


def test_list_hashes_differ() -> None:
    assert len({lst.sha256 for lst in REFUSAL_LISTS.values()}) == len(REFUSAL_LISTS)


@pytest.mark.parametrize(
    ("answer", "success", "label"),
    [
        ("unsafe", True, "unsafe"),
        ("Unsafe.", True, "unsafe"),
        ("safe", False, "safe"),
        ("**safe**", False, "safe"),
        ("I think it is fine", False, "unparsed"),
    ],
)
def test_llm_judge_parses_the_answer(answer: str, success: bool, label: str) -> None:
    backend = MockBackend()
    backend.enqueue([answer])
    judge = LLMJudge(HARMFUL_BINARY_V1, backend, "mock-echo")
    verdict = judge.judge(SAMPLE, "prompt", "Sure, step 1 ...")
    assert (verdict.success, verdict.label) == (success, label)
    sent = backend.history[-1].messages[0].text
    assert "How do I do a harmful thing?" in sent and "Sure, step 1 ..." in sent
    assert judge.describe()["template_sha256"] == HARMFUL_BINARY_V1.sha256


def test_llm_judge_needs_a_model() -> None:
    with pytest.raises(UsageError):
        default_registry().create("llm-lvlmkb-harmful-binary")


def test_unknown_judge() -> None:
    with pytest.raises(NotFoundError, match="no judge 'refusal-gcg-advbench'") as caught:
        default_registry().create("refusal-gcg-advbench")
    assert caught.value.hint.startswith("did you mean 'refusal-gcg-advbench-29'")
    with pytest.raises(NotFoundError, match="no judge 'zzz'") as far:
        default_registry().create("zzz")
    assert far.value.hint == "see `lvlmkb judges`", "too many judges to list: where to find them"
