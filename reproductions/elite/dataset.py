"""ELITE's benchmark (Lee et al., arXiv 2502.04757): 4,587 image-text pairs in 11 hazard categories.

``ELITE/ELITE-benchmark.csv`` of velpegor/ELITE (at ``1553134``; sha256 :data:`SHA256`; UTF-8 with a BOM)
has the columns ``dataset``, ``taxonomy_code``, ``taxonomy``, ``image_name`` and ``question``; its counts per
source and category are the paper's Table 1. The images are in the gated Hugging Face dataset ``kdst/ELITE``
(no revision pinned), and the authors' evaluator reads them from ``<image dir>/<category>/<image_name>``
(``elite_eval/evaluate_batch.py`` L57). Nothing is downloaded: pass ``--data DIR`` holding the CSV and the
images in that layout, the category folder named by ``taxonomy`` (e.g. ``Violent Crimes``, as the README
suggests) or by ``taxonomy_code`` (``S1``). The CSV's rows are kept as they are, duplicates included (44 rows
repeat another exactly); a sample's id is its row number and its category the ``taxonomy``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from lvlmkb.eval import DatasetError, Sample, dataset, find_data_file, inside, is_file

SHA256 = "8e041fc1c5a57081d91b6a19c6727a6087308c9667750c703751e8b8c6003913"
DATA_FILE = "ELITE-benchmark.csv"
COLUMNS = ("dataset", "taxonomy_code", "taxonomy", "image_name", "question")
HINT = (
    f"pass --data DIR holding {DATA_FILE} (ELITE/ of https://github.com/velpegor/ELITE) and the images of "
    "https://huggingface.co/datasets/kdst/ELITE in <taxonomy>/<image_name> folders"
)


def parse_elite(path: Path) -> list[Sample]:
    """The rows of the benchmark CSV in file order, each with its image.

    Raises:
        DatasetError: The file is unreadable, a column is missing, a cell is empty, or an image is missing.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise DatasetError(f"{path}: no column {', '.join(missing)}", f"is this {DATA_FILE}?")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    return [_sample(path, line, row) for line, row in enumerate(rows, start=2)]


def _sample(path: Path, line: int, row: dict[str, str | None]) -> Sample:
    values = {c: row.get(c) or "" for c in COLUMNS}
    empty = [c for c in COLUMNS if not values[c].strip()]
    if empty:
        raise DatasetError(f"{path}:{line}: empty {', '.join(empty)}", "check the CSV row")
    image = None
    for folder in (values["taxonomy"], values["taxonomy_code"]):
        candidate = inside(path.parent / folder, values["image_name"], f"{path}:{line}")
        if is_file(candidate):
            image = candidate
            break
    if image is None:
        raise DatasetError(f"{path}:{line}: image {values['taxonomy']}/{values['image_name']} is missing", HINT)
    fields = {**values, "category": values["taxonomy"]}
    return Sample(str(line - 1), values["taxonomy"], fields, image)


@dataset("elite", fields=(*COLUMNS, "category"), paper="elite2025")
def load_elite(data: Path | None = None) -> tuple[list[Sample], Path]:
    """ELITE's benchmark from a local copy; returns the samples and the CSV read."""
    if data is None:
        raise DatasetError("ELITE's images are not downloaded automatically (gated, no revision pinned)", HINT)
    path = find_data_file(data, DATA_FILE, "ELITE", HINT)
    return parse_elite(path), path
