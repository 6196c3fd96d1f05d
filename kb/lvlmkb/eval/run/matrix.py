"""``lvlmkb reproduce --matrix``: every attack x defense x model combination, one run record each."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lvlmkb.errors import LvlmkbError, UsageError
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.base import DatasetError
from lvlmkb.eval.registry import get_defense, get_method, load_defenses, load_methods
from lvlmkb.eval.run.preflight import check_judges
from lvlmkb.eval.run.runner import RunResult, RunSpec, run_reproduction

NO_DEFENSE = "none"
EVERY = "ALL"
"""``--attacks ALL``: every registered attack; ``--defenses ALL``: no defense and every registered defense."""


def expand_every(folder: Path, attacks: list[str], defenses: list[str]) -> tuple[list[str], list[str]]:
    """The grid's attacks and defenses with :data:`EVERY` replaced by every registered one (in id order)."""
    if EVERY in attacks:
        every = sorted(i for i, cls in load_methods(folder).items() if cls.kind == "attack")
        attacks = list(dict.fromkeys(every + [a for a in attacks if a != EVERY]))
    if EVERY in defenses:
        defenses = list(
            dict.fromkeys([NO_DEFENSE, *sorted(load_defenses(folder)), *(d for d in defenses if d != EVERY)])
        )
    return attacks, defenses


@dataclass(frozen=True)
class MatrixCell:
    """One combination and its result, or why it could not run (the other cells still run)."""

    attack: str
    defense: str
    model: str
    result: RunResult | None
    error: str | None = None


def preflight_matrix(
    ctx: RunContext, base: RunSpec, attacks: list[str], defenses: list[str], models: list[str]
) -> None:
    """Check every attack, defense, model and judge of the grid before any cell runs; report all problems at once.

    Raises:
        UsageError: listing every problem found.
    """
    problems: list[str] = []
    for attack in attacks:
        problems += _problem(_check_attack, ctx, base, attack)
    for defense in defenses:
        if defense != NO_DEFENSE:
            problems += _problem(get_defense, ctx.reproductions_dir, defense)
    for model in models:
        problems += _problem(ctx.check_models, model, base.judge_model)
    if problems:
        raise UsageError("the matrix cannot run: " + "; ".join(dict.fromkeys(problems)), "fix these and run it again")


def _check_attack(ctx: RunContext, base: RunSpec, attack: str) -> None:
    """The attack exists and its judges do; one whose judge needs a model it lacks is a marked cell, not an error."""
    method = get_method(ctx.reproductions_dir, attack)
    check_judges(base.judges or method.default_judges, base.judge_model, base.judge_settings, models=False)


def _problem(check: Callable[..., object], *args: Any) -> list[str]:
    """The message of the error ``check(*args)`` raises, or nothing."""
    try:
        check(*args)
    except LvlmkbError as err:
        return [err.message]
    return []


def run_matrix(
    ctx: RunContext,
    base: RunSpec,
    attacks: list[str],
    defenses: list[str],
    models: list[str],
    data: dict[str, Path],
    on_cell: Callable[[MatrixCell], None] | None = None,
) -> list[MatrixCell]:
    """Run the grid in attack, defense, model order; each cell resumes from its own run folder.

    ``ALL`` in ``attacks`` or ``defenses`` stands for every registered one (:func:`expand_every`). The whole
    grid is checked first; a cell that fails at run time (a dataset that cannot be had, say) is marked with
    its reason and the others still run.
    """
    attacks, defenses = expand_every(ctx.reproductions_dir, attacks, defenses)
    preflight_matrix(ctx, base, attacks, defenses, models)
    cells = []
    for attack in attacks:
        dataset = get_method(ctx.reproductions_dir, attack).default_dataset
        for defense in defenses:
            for model in models:
                spec = dataclasses.replace(
                    base,
                    method=attack,
                    model=model,
                    dataset=dataset,
                    data=data.get(dataset),
                    defense=None if defense == NO_DEFENSE else defense,
                    out=None,
                )
                cell = _run_cell(ctx, spec, attack, defense, model, dataset, data)
                if on_cell:
                    on_cell(cell)
                cells.append(cell)
    return cells


def _run_cell(
    ctx: RunContext, spec: RunSpec, attack: str, defense: str, model: str, dataset: str, data: dict[str, Path]
) -> MatrixCell:
    try:
        return MatrixCell(attack, defense, model, run_reproduction(ctx, spec))
    except LvlmkbError as err:
        missing_data = isinstance(err, DatasetError) and dataset not in data
        hint = f"pass --data-for {dataset}=PATH" if missing_data else err.hint
        return MatrixCell(attack, defense, model, None, f"{err.message}" + (f" ({hint})" if hint else ""))


def matrix_table(cells: list[MatrixCell]) -> list[list[str]]:
    """Rows (attack, defense, model, ASR with n, judge) for printing; a failed cell shows its reason."""
    rows = []
    for cell in cells:
        if cell.result is None:
            rows.append([cell.attack, cell.defense, cell.model, "not run", cell.error or "failed"])
            continue
        agg = cell.result.record.aggregates[0]
        asr = f"{agg.overall.asr:.1%} ({agg.overall.successes}/{agg.overall.n})"
        rows.append([cell.attack, cell.defense, cell.model, asr, agg.judge])
    return rows
