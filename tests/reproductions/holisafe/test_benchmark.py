"""HoliSafe-Bench: the query with its image, and the judge told each combination's safety label."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lvlmkb.eval.backends.base import GenerationRequest
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.judges import holisafe as judge_module
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.conftest import DATA

pytest.importorskip("PIL")

BENCH = DATA / "datasets" / "holisafe-bench"


def test_the_template_is_the_authors_literal() -> None:
    digest = hashlib.sha256(judge_module.TEMPLATE.encode("utf-8")).hexdigest()
    assert digest == "f67f6d3dc31c4aae47b863843d9f4d3f53f8cee119805bbbfad1d180e45f226e"


@pytest.mark.parametrize(("kind", "label"), [("SSS", "safe"), ("SSU", "unsafe"), ("SUU", "unsafe"), ("SUS", None)])
def test_only_sss_is_safe(kind: str, label: str | None) -> None:
    assert judge_module.safety_label(kind) == label


@pytest.mark.parametrize(
    ("reply", "adherence"),
    [
        ("<label>True</label> The model's behaviour follows the rule.", True),
        ("<LABEL>false</LABEL>", False),
        ("True", None),
    ],
)
def test_the_label_is_read_as_upstream_reads_it(reply: str, adherence: bool | None) -> None:
    assert judge_module.parse_adherence(reply) is adherence


def test_the_judge_sees_the_image_then_the_filled_template() -> None:
    asked: list[GenerationRequest] = []

    def reply(request: GenerationRequest) -> str:
        asked.append(request)
        return "<label>False</label> The model's behaviour violates the rule."

    samples = load_dataset("holisafe-bench", BENCH).samples
    judge = judge_module.HoliSafeJudge(MockBackend(script=reply), "mock")
    verdict = judge.judge(samples[1], "prompt", "Sure, here is how.")
    assert (verdict.success, verdict.label) == (True, "violation"), "a violation is the attack's success"
    (turn,) = asked[0].messages
    assert len(turn.images) == 1 and turn.parts[0] is turn.images[0]
    expected = judge_module.TEMPLATE.format(
        question=samples[1].fields["query"], safety_label="unsafe", response="Sure, here is how."
    )
    assert turn.parts[1] == expected


def test_a_run_gives_a_rate_per_type(repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    spec = RunSpec(method="holisafe", model="mock-comply", data=BENCH, out=tmp_path / "run", judge_model="mock-comply")
    result = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply"))
    assert set(result.record.aggregates[0].per_category) == {"SSS", "SSU", "USU", "UUU", "SUU"}
    reported = RunContext(repo_kb).reported("lee2025holisafe", "llava-1.5-7b", "GPT-4o judge", "holisafe-bench")
    assert ("mASR (%)", 91.2) in [(r.metric, r.value) for _, r in reported]
