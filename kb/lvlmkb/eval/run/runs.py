"""Finding the run records of a checkout (``runs/**/run.json``), for the site and comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lvlmkb.eval.run.records import RecordError, RunRecord, read_record


@dataclass(frozen=True)
class StoredRun:
    """A run record and the folder it was read from."""

    folder: Path
    record: RunRecord


def find_runs(root: Path) -> tuple[list[StoredRun], list[str]]:
    """Every readable run record under ``root/runs``, and the paths that could not be read.

    Nothing is read through a symbolic link: a ``run.json`` that is a link, or a ``runs`` folder that
    links outside ``root``, is reported as unreadable (a run record is a file committed as it is).
    """
    runs: list[StoredRun] = []
    unreadable: list[str] = []
    base = root / "runs"
    if base.is_dir() and not base.resolve().is_relative_to(root.resolve()):
        return runs, ["runs"]
    for path in sorted(base.rglob("run.json")) if base.is_dir() else []:
        if path.is_symlink():
            unreadable.append(path.relative_to(root).as_posix())
            continue
        try:
            runs.append(StoredRun(path.parent, read_record(path)))
        except (OSError, RecordError):
            unreadable.append(path.relative_to(root).as_posix())
    return runs, unreadable
