"""HarmBench's multimodal behaviors (Mazeika et al., 2024, arXiv 2402.04249): 110 behaviors, one image each.

Upstream layout (centerforaisafety/HarmBench, ``data/``; read here through third-party copies, the
original repository was not checked):

- ``behavior_datasets/harmbench_behaviors_multimodal_all.csv`` with the columns Behavior, BehaviorID,
  FunctionalCategory, SemanticCategory, ImageFileName, Source, ImageDescription,
  RedactedImageDescription and Tags (quoted fields may span lines);
- ``multimodal_behavior_images/<ImageFileName>``: the behavior images.

No copy could be pinned to a commit and a sha256, so nothing is downloaded: pass ``--data DIR`` where
``DIR`` is HarmBench's ``data/`` folder (the clone root is accepted too).
"""

from __future__ import annotations

import csv
from pathlib import Path

from lvlmkb.eval import DatasetError, Sample, dataset, inside

NAME = "harmbench-mm"
CSV_PATH = Path("behavior_datasets/harmbench_behaviors_multimodal_all.csv")
IMAGES = Path("multimodal_behavior_images")
FIELDS = {  # CSV column -> Sample field
    "Behavior": "behavior",
    "BehaviorID": "behavior_id",
    "FunctionalCategory": "functional_category",
    "SemanticCategory": "semantic_category",
    "ImageFileName": "image_file_name",
    "Source": "source",
    "ImageDescription": "image_description",
    "RedactedImageDescription": "redacted_image_description",
    "Tags": "tags",
}
COLUMNS = tuple(FIELDS)
REQUIRED = ("Behavior", "BehaviorID", "SemanticCategory", "ImageFileName")


def data_root(folder: Path) -> Path:
    """The folder that holds ``behavior_datasets/`` (``folder`` itself, or ``folder/data`` for a clone)."""
    for candidate in (folder, folder / "data"):
        if (candidate / CSV_PATH).is_file():
            return candidate
    raise DatasetError(
        f"{folder} holds no {CSV_PATH.as_posix()}",
        "pass --data DIR where DIR is HarmBench's data/ folder (behavior_datasets/ and multimodal_behavior_images/)",
    )


def parse_behaviors(folder: Path) -> list[Sample]:
    """Read the multimodal behaviors CSV and resolve each row's image.

    Args:
        folder: HarmBench's ``data/`` folder or the clone root.

    Returns:
        One sample per row: id = BehaviorID, category = SemanticCategory, the image file, and the fields
        ``behavior``, ``behavior_id``, ``functional_category``, ``semantic_category``, ``image_file_name``,
        ``source``, ``image_description``, ``redacted_image_description`` and ``tags``.

    Raises:
        DatasetError: The CSV is missing or malformed, an id repeats, or an image is missing.
    """
    root = data_root(folder)
    path = root / CSV_PATH
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise DatasetError(f"{path}: expected columns {', '.join(COLUMNS)}", "is this HarmBench's CSV?")
            samples = [_sample(root, path, reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"cannot read {path}: {err}", "pass --data DIR to HarmBench's data/ folder") from err
    ids = [s.id for s in samples]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{path}: a BehaviorID appears twice", "BehaviorIDs must be unique")
    if not samples:
        raise DatasetError(f"{path} holds no behavior", "check the CSV")
    return samples


def _sample(root: Path, path: Path, line: int, row: dict[str, str]) -> Sample:
    if any(not row.get(column) for column in REQUIRED):
        raise DatasetError(f"{path}:{line}: one of {', '.join(REQUIRED)} is empty", "check the CSV row")
    image = inside(root / IMAGES, row["ImageFileName"], f"{path}:{line}")
    if not image.is_file():
        raise DatasetError(f"{path}:{line}: image {image} is missing", f"put the behavior images in {root / IMAGES}")
    fields = {name: row.get(column) or "" for column, name in FIELDS.items()}
    return Sample(row["BehaviorID"], row["SemanticCategory"], fields, image)


@dataset(NAME, fields=tuple(FIELDS.values()), paper="mazeika2024harmbench")
def load_behaviors(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The behaviors under ``data`` (required: nothing is downloaded); returns them and the folder read."""
    if data is None:
        raise DatasetError(
            f"dataset '{NAME}' is not downloaded (no pinned copy)",
            "clone centerforaisafety/HarmBench and pass --data HarmBench/data",
        )
    return parse_behaviors(data), data
