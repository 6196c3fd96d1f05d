"""SafeBench and SafeBench-Tiny, FigStep's datasets (10 topics; 500 and 50 rows).

Columns: dataset, category_id, task_id, category_name, question, instruction. The ``instruction``
column holds the statement FigStep renders; ``question`` is the raw question (baseline query).

The pins are the last commits that changed each file. The sha256 values were computed from a stored
copy of the files, not from a live download (this project's machines cannot reach GitHub); the Tiny
file's CRLF line endings were inferred. A mismatch on first download stops with a clear error, and
``--data PATH`` accepts a local copy either way.
"""

from __future__ import annotations

import csv
from pathlib import Path

from lvlmkb.eval import DatasetError, RemoteFile, Sample, dataset, fetch

FIGSTEP_REPO = "ThuCCSLab/FigStep"
_RAW = "https://raw.githubusercontent.com/ThuCCSLab/FigStep"
COLUMNS = ("dataset", "category_id", "task_id", "category_name", "question", "instruction")

SAFEBENCH = RemoteFile(
    url=f"{_RAW}/ded16a7ecf2136df9146b2bde3641f8ea9bb681d/data/question/safebench.csv",
    sha256="8e47f40b9b490fa2ca1393cdceb6081e9928848646f4b45fdd43726be941b394",
    revision="ded16a7ecf2136df9146b2bde3641f8ea9bb681d",
    name="safebench.csv",
)
SAFEBENCH_TINY = RemoteFile(
    url=f"{_RAW}/10216d6482d7df656c53199f983cdb44450e5b2e/data/question/SafeBench-Tiny.csv",
    sha256="e5f85f7d0323fe2e4afa99f6715ee97c2581d93856af4728a72fdec94338e867",
    revision="10216d6482d7df656c53199f983cdb44450e5b2e",
    name="SafeBench-Tiny.csv",
)


def parse_safebench(path: Path) -> list[Sample]:
    """Read a SafeBench CSV; every row must have the six columns and numeric ids."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise DatasetError(f"{path}: expected columns {', '.join(COLUMNS)}", "is this a SafeBench CSV?")
            return [_sample(path, line, row) for line, row in enumerate(reader, start=2)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"cannot read {path}: {err}", "pass --data PATH to a SafeBench CSV (UTF-8)") from err


def _sample(path: Path, line: int, row: dict[str, str]) -> Sample:
    if any(row.get(column) in (None, "") for column in COLUMNS):
        raise DatasetError(f"{path}:{line}: a column is empty or missing", "check the CSV row")
    if not (row["category_id"].isdigit() and row["task_id"].isdigit()):
        raise DatasetError(f"{path}:{line}: category_id and task_id must be numbers", "check the CSV row")
    sample_id = f"{row['category_id']}-{row['task_id']}"
    fields = {
        "question": row["question"],
        "instruction": row["instruction"],
        "category_id": row["category_id"],
        "task_id": row["task_id"],
    }
    return Sample(sample_id, row["category_name"], fields)


def load_safebench(data: Path | None = None, tiny: bool = False) -> tuple[list[Sample], Path]:
    """SafeBench samples from ``data`` or from the pinned upstream file; returns them and the file read."""
    path = data if data is not None else fetch(SAFEBENCH_TINY if tiny else SAFEBENCH)
    return parse_safebench(path), path


@dataset("safebench", fields=COLUMNS[4:] + COLUMNS[1:3], paper="gong2023figstep")
def load_full(data: Path | None = None) -> tuple[list[Sample], Path]:
    """SafeBench: the 500 questions."""
    return load_safebench(data, tiny=False)


@dataset("safebench-tiny", fields=COLUMNS[4:] + COLUMNS[1:3], paper="gong2023figstep")
def load_tiny(data: Path | None = None) -> tuple[list[Sample], Path]:
    """SafeBench-Tiny: the 50 questions of FigStep's ablations."""
    return load_safebench(data, tiny=True)
