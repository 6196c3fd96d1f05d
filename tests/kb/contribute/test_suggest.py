"""The keyword rules: a few clear titles, and their agreement with the KB's own classifications."""

from __future__ import annotations

import pytest

from lvlmkb.kb.contribute.add import Metadata, suggestion_for
from tests.contract.test_kb import report


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Typographic Images Jailbreak Vision-Language Models", "black-box-typography"),
        ("A Backdoor Trigger Hidden in Instruction Data for VLMs", "backdoor-trigger"),
        ("A Survey of Multimodal Model Safety", "surveys-and-analyses"),
        ("Over-Refusal in Vision-Language Models: A Benchmark", "over-refusal-benchmark"),
        ("Steering Activations to Defend Vision-Language Models", "internal-optimization"),
        ("Visual Prompt Injection against Web Agents", "black-box-prompt-injection"),
    ],
)
def test_clear_titles_get_the_expected_leaf(title: str, category: str) -> None:
    found = suggestion_for(report().kb, Metadata(title, [], 2025))
    assert found is not None and found.category == category


def test_a_title_with_no_cue_gets_no_suggestion() -> None:
    assert suggestion_for(report().kb, Metadata("Notes on Things", [], 2025)) is None


def test_rules_agree_with_the_kb_often_enough() -> None:
    """From titles alone, measured on the KB's 335 hand classifications (kind 85 %, leaf 57 % when at 2026-11)."""
    kb = report().kb
    fired = [(p, s) for p in kb.papers.values() if (s := suggestion_for(kb, Metadata(p.title, [], p.year)))]
    right_kind = sum(kb.taxonomy.kind_of(s.category) == p.kind for p, s in fired) / len(fired)
    right_leaf = sum(s.category == p.category for p, s in fired) / len(fired)
    assert len(fired) >= 0.4 * len(kb.papers)
    assert right_kind >= 0.75 and right_leaf >= 0.45
