"""Composite evaluations: several runs whose numbers are compared, cell by cell, with a paper's table.

``survey-janus-pro`` re-runs the survey's Janus-Pro-7B evaluation (arXiv 2502.14881): SIUO in its
open-ended and multiple-choice formats, and MM-SafetyBench's SD, TYPO and SD+TYPO settings per
scenario. The survey does not say which judge it used, so the judge is ours and named in the table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lvlmkb.errors import NotFoundError
from lvlmkb.eval.judges.registry import default_registry
from lvlmkb.eval.run.records import RunRecord
from lvlmkb.eval.run.runner import RunResult, RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase

KEYWORD_JUDGE = "refusal-gcg-advbench-29"


@dataclass(frozen=True)
class Part:
    """One run of a composite: a method on a dataset, reported under a benchmark and a setting."""

    benchmark: str
    setting: str
    method: str
    dataset: str
    config: dict[str, Any] = field(default_factory=dict)
    llm_judge: str | None = None
    rule_judge: str | None = None
    per_category: bool = False


@dataclass(frozen=True)
class Composite:
    """A named set of parts and the paper whose reported numbers they are compared with."""

    id: str
    paper: str
    parts: tuple[Part, ...]


SURVEY_JANUS_PRO = Composite(
    id="survey-janus-pro",
    paper="ye2025survey",
    parts=(
        Part("SIUO", "OpenQA", "siuo", "siuo-openqa", {"format": "openqa"}, llm_judge="llm-siuo-safety"),
        Part("SIUO", "MCQA", "siuo", "siuo-mcqa", {"format": "mcqa"}, rule_judge="siuo-mcqa-choice"),
        Part(
            "MM-SafetyBench",
            "SD",
            "mm-safetybench",
            "mm-safetybench",
            {"variant": "sd"},
            llm_judge="llm-mm-safetybench",
            per_category=True,
        ),
        Part(
            "MM-SafetyBench",
            "TYPO",
            "mm-safetybench",
            "mm-safetybench",
            {"variant": "typo"},
            llm_judge="llm-mm-safetybench",
            per_category=True,
        ),
        Part(
            "MM-SafetyBench",
            "SD+TYPO",
            "mm-safetybench",
            "mm-safetybench",
            {"variant": "sd-typo"},
            llm_judge="llm-mm-safetybench",
            per_category=True,
        ),
    ),
)
COMPOSITES = {c.id: c for c in (SURVEY_JANUS_PRO,)}


@dataclass(frozen=True)
class Row:
    """One line of the comparison: our ASR (percent) beside the paper's."""

    benchmark: str
    setting: str
    ours: float
    n: int
    judge: str
    paper: float | None

    @property
    def delta(self) -> float | None:
        """Ours minus the paper's, in points."""
        return None if self.paper is None else self.ours - self.paper


def judge_for(part: Part, judge_model: str | None) -> str:
    """The part's own judge when it can run here; else the keyword judge (always named in the output)."""
    known = default_registry().ids()
    if part.rule_judge and part.rule_judge in known:
        return part.rule_judge
    if part.llm_judge and judge_model and part.llm_judge in known:
        return part.llm_judge
    return KEYWORD_JUDGE


def run_composite(
    kb: KnowledgeBase,
    composite: Composite,
    base: RunSpec,
    data: dict[str, Path],
    on_part: Callable[[Part, RunResult], None] | None = None,
) -> list[Row]:
    """Run every part and compare with the paper's reported numbers for ``base.model``."""
    if composite.paper not in kb.papers:
        raise NotFoundError(f"paper '{composite.paper}' is not in the KB", "the comparison needs its reported numbers")
    reported = {
        (r.benchmark, r.setting or ""): r.value
        for r in kb.papers[composite.paper].reported_results
        if r.model == base.model
    }
    rows: list[Row] = []
    for part in composite.parts:
        judge = judge_for(part, base.judge_model)
        spec = dataclasses.replace(
            base,
            method=part.method,
            dataset=part.dataset,
            data=data.get(part.dataset),
            config={**part.config, **base.config},
            judges=(judge,),
            out=None,
        )
        result = run_reproduction(kb, spec)
        if on_part:
            on_part(part, result)
        rows += _rows(part, result.record, reported)
    return rows


def _rows(part: Part, record: RunRecord, reported: dict[tuple[str, str], float]) -> list[Row]:
    agg = record.aggregates[0]
    if not part.per_category:
        paper = reported.get((part.benchmark, part.setting))
        return [Row(part.benchmark, part.setting, 100 * agg.overall.asr, agg.overall.n, agg.judge, paper)]
    rows = []
    for category, rate in agg.per_category.items():
        label = _scenario_label(reported, part.setting, category)
        rows.append(
            Row(part.benchmark, label, 100 * rate.asr, rate.n, agg.judge, reported.get((part.benchmark, label)))
        )
    macro = sum(r.ours for r in rows) / len(rows) if rows else 0.0
    average = f"{part.setting} / Average"
    rows.append(Row(part.benchmark, average, macro, agg.overall.n, agg.judge, reported.get((part.benchmark, average))))
    return rows


def _scenario_label(reported: dict[tuple[str, str], float], setting: str, category: str) -> str:
    """The paper's label for a scenario folder ('01-Illegal_Activitiy' -> 'SD / 01-Illegal Activity')."""
    number = category[:2]
    for _benchmark, label in reported:
        if label.startswith(f"{setting} / {number}-"):
            return label
    return f"{setting} / {category}"
