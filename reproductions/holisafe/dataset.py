"""HoliSafe-Bench (Lee et al., arXiv 2506.04704): every safe/unsafe combination of image and text.

``holisafe_bench.json`` of the Hugging Face dataset ``etri-vilab/holisafe-bench`` (linked from the README of
youngwanLEE/holisafe at ``375bacd``; gated, no revision pinned anywhere) is a JSON list of records with ``id``,
``image`` (a path below the data folder), ``query``, ``type``, ``category``, ``subcategory``, ``image_safe`` and
``image_safety_label`` (README "Prepare Predictions"; the prediction files at ``8e4b836`` keep them). The type
names the image's, the text's and the combination's safety: SSS (all safe), SSU (safe image and text, unsafe
together), USU (unsafe image), UUU (both unsafe) and SUU (unsafe text). Nothing is downloaded: pass
``--data DIR`` holding ``holisafe_bench.json`` and the images its ``image`` paths name.

Per sample: the category is the type (the benchmark reports per type); ``fields["category"]`` and
``fields["subcategory"]`` keep the hazard.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lvlmkb.eval import DatasetError, Sample, dataset, find_data_file, inside, is_file

DATA_FILE = "holisafe_bench.json"
TYPES = ("SSS", "SSU", "USU", "UUU", "SUU")
HINT = (
    f"pass --data DIR holding {DATA_FILE} and its images from "
    "https://huggingface.co/datasets/etri-vilab/holisafe-bench (gated: accept its terms on the hub first)"
)


def parse_holisafe(path: Path) -> list[Sample]:
    """The records of ``holisafe_bench.json`` in file order, each with its image.

    Raises:
        DatasetError: The file is unreadable, a record lacks a field or has an unknown type, or an image is
            missing. A repeated id is refused where every dataset's is (``load_dataset``).
    """
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:  # deep nesting
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    if not isinstance(content, list):
        raise DatasetError(f"{path}: expected a JSON list of records", f"is this {DATA_FILE}?")
    return [_sample(path, index, record) for index, record in enumerate(content)]


def _sample(path: Path, index: int, record: Any) -> Sample:
    where = f"{path}: record {index}"
    if not isinstance(record, dict):
        raise DatasetError(f"{where} is not an object", "check the file")
    query, image_name, kind = record.get("query"), record.get("image"), record.get("type")
    if not isinstance(query, str) or not query or not isinstance(image_name, str) or "id" not in record:
        raise DatasetError(f"{where} lacks id, query or image", "check the file")
    if kind not in TYPES:
        raise DatasetError(f"{where} has type {kind!r}, not one of {', '.join(TYPES)}", "check the file")
    image = inside(path.parent, image_name, where)
    if not is_file(image):
        raise DatasetError(f"{where} image {image} is missing", HINT)
    fields = {
        "query": query,
        "question": query,
        "type": str(kind),
        "category": str(record.get("category") or ""),
        "subcategory": str(record.get("subcategory") or ""),
    }
    return Sample(str(record["id"]), str(kind), fields, image)


@dataset("holisafe-bench", fields=("query", "question", "type", "category", "subcategory"), paper="lee2025holisafe")
def load_holisafe(data: Path | None = None) -> tuple[list[Sample], Path]:
    """HoliSafe-Bench from a local copy; returns the samples and the JSON file read."""
    if data is None:
        raise DatasetError("HoliSafe-Bench is not downloaded automatically (gated, no revision pinned)", HINT)
    path = find_data_file(data, DATA_FILE, "data", HINT)
    return parse_holisafe(path), path
