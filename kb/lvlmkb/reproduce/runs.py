"""Finding the run records of a checkout (``runs/**/run.json``), for the site and comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from lvlmkb.reproduce.records import RunRecord


@dataclass(frozen=True)
class StoredRun:
    """A run record and the folder it was read from."""

    folder: Path
    record: RunRecord


def find_runs(root: Path) -> tuple[list[StoredRun], list[str]]:
    """Every readable run record under ``root/runs``, and the paths that could not be read."""
    runs: list[StoredRun] = []
    unreadable: list[str] = []
    base = root / "runs"
    for path in sorted(base.rglob("run.json")) if base.is_dir() else []:
        try:
            runs.append(StoredRun(path.parent, RunRecord.model_validate_json(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, ValidationError):
            unreadable.append(path.relative_to(root).as_posix())
    return runs, unreadable
