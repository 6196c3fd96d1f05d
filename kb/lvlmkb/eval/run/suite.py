"""Running a suite (:mod:`lvlmkb.eval.suites`): its parts, compared cell by cell with the paper's table.

Each part is one run: a method on a dataset with a config, reported under the paper's
benchmark and setting names, judged by the part's judge (or, when that judge needs a model and none was
given, by the fallback judge, which the table names). Every part is checked before any runs; a part that
fails at run time is marked with its reason and the others still run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lvlmkb.errors import LvlmkbError, UsageError
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.base import DatasetError
from lvlmkb.eval.judges.registry import default_registry
from lvlmkb.eval.registry import get_method
from lvlmkb.eval.run.preflight import check_judges
from lvlmkb.eval.run.records import RunRecord
from lvlmkb.eval.run.runner import RunResult, RunSpec, run_reproduction
from lvlmkb.eval.suites import Suite, SuitePart


def judge_for(part: SuitePart, judge_model: str | None) -> str:
    """The part's own judge, or its fallback when the judge needs a model and none is given."""
    if default_registry().needs_model(part.judge) and judge_model is None and part.fallback_judge:
        return part.fallback_judge
    return part.judge


def part_spec(part: SuitePart, base: RunSpec, data: dict[str, Path], reproductions_dir: Path) -> RunSpec:
    """The run of one part: the base's model and options, the part's method, dataset, config and judge."""
    dataset = part.dataset or get_method(reproductions_dir, part.method).default_dataset
    return dataclasses.replace(
        base,
        method=part.method,
        dataset=dataset,
        data=data.get(dataset),
        config={**part.config, **base.config},
        judges=(judge_for(part, base.judge_model),),
        out=None,
    )


def preflight_suite(ctx: RunContext, suite: Suite, base: RunSpec) -> None:
    """Check the paper, every part's method and judge, and the models before any part runs; report all at once.

    Raises:
        UsageError: listing every problem found.
    """
    problems: list[str] = []
    if not ctx.has_paper(suite.paper):
        problems.append(f"paper '{suite.paper}' is not in the KB (the comparison needs its reported numbers)")
    for part in suite.parts:
        try:
            get_method(ctx.reproductions_dir, part.method)
            check_judges([judge_for(part, base.judge_model)], base.judge_model, base.judge_settings)
        except LvlmkbError as err:
            problems.append(f"{part.benchmark} {part.setting}: {err.message}")
    try:
        ctx.check_models(base.model, base.judge_model)
    except LvlmkbError as err:
        problems.append(err.message)
    if problems:
        raise UsageError(f"suite '{suite.id}' cannot run: " + "; ".join(dict.fromkeys(problems)), "fix these first")


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


@dataclass(frozen=True)
class PartOutcome:
    """One part's run, or why it did not run."""

    part: SuitePart
    result: RunResult | None
    error: str | None = None


@dataclass(frozen=True)
class SuiteResult:
    """The comparison rows of the parts that ran, and every part's outcome."""

    rows: list[Row]
    outcomes: list[PartOutcome]

    @property
    def failed(self) -> list[PartOutcome]:
        """The parts that did not run."""
        return [o for o in self.outcomes if o.result is None]


def run_suite(
    ctx: RunContext,
    suite: Suite,
    base: RunSpec,
    data: dict[str, Path],
    on_part: Callable[[PartOutcome], None] | None = None,
) -> SuiteResult:
    """Run every part (each in its own run folder) and compare with the paper's numbers for ``base.model``."""
    preflight_suite(ctx, suite, base)
    reported = {(r.benchmark, r.setting or ""): r.value for r in ctx.published(suite.paper, base.model)}
    rows: list[Row] = []
    outcomes: list[PartOutcome] = []
    for part in suite.parts:
        outcome = _run_part(ctx, part, part_spec(part, base, data, ctx.reproductions_dir), data)
        if on_part:
            on_part(outcome)
        outcomes.append(outcome)
        if outcome.result is not None:
            rows += _rows(part, outcome.result.record, reported)
    return SuiteResult(rows, outcomes)


def _run_part(ctx: RunContext, part: SuitePart, spec: RunSpec, data: dict[str, Path]) -> PartOutcome:
    try:
        return PartOutcome(part, run_reproduction(ctx, spec))
    except LvlmkbError as err:
        missing_data = isinstance(err, DatasetError) and spec.dataset not in data
        hint = f"pass --data-for {spec.dataset}=PATH" if missing_data else err.hint
        return PartOutcome(part, None, err.message + (f" ({hint})" if hint else ""))


def _rows(part: SuitePart, record: RunRecord, reported: dict[tuple[str, str], float]) -> list[Row]:
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
