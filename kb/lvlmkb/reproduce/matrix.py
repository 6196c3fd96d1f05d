"""``lvlmkb reproduce --matrix``: every attack x defense x model combination, one run record each."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lvlmkb.kb import KnowledgeBase
from lvlmkb.reproduce.method import get_method
from lvlmkb.reproduce.runner import RunResult, RunSpec, run_reproduction

NO_DEFENSE = "none"


@dataclass(frozen=True)
class MatrixCell:
    """One combination and its result."""

    attack: str
    defense: str
    model: str
    result: RunResult


def run_matrix(
    kb: KnowledgeBase,
    base: RunSpec,
    attacks: list[str],
    defenses: list[str],
    models: list[str],
    data: dict[str, Path],
    on_cell: Callable[[MatrixCell], None] | None = None,
) -> list[MatrixCell]:
    """Run the grid in attack, defense, model order; each cell resumes from its own run folder."""
    cells = []
    for attack in attacks:
        dataset = get_method(kb.project.reproductions_dir, attack).default_dataset
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
                cell = MatrixCell(attack, defense, model, run_reproduction(kb, spec))
                if on_cell:
                    on_cell(cell)
                cells.append(cell)
    return cells


def matrix_table(cells: list[MatrixCell]) -> list[list[str]]:
    """Rows (attack, defense, model, ASR with n, judge) for printing."""
    rows = []
    for cell in cells:
        agg = cell.result.record.aggregates[0]
        asr = f"{agg.overall.asr:.1%} ({agg.overall.successes}/{agg.overall.n})"
        rows.append([cell.attack, cell.defense, cell.model, asr, agg.judge])
    return rows
