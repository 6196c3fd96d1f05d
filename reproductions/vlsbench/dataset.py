"""VLSBench (Hu et al., arXiv 2411.19939): image-text pairs whose text alone does not leak the harm.

Upstream (``AI45Lab/VLSBench``), ``data/data.json`` is a JSON list of objects with ``instruction_id``,
``instruction``, ``image_path`` (relative to the data folder, e.g. ``imgs/0.png``), ``category``,
``sub_category`` and ``source``. ``eval.py`` loads ``<data_root>/data.json`` and sends each item's
``instruction`` with its ``image_path`` image to the model; a GPT-4o judge (``eval_utils.py``) then
labels refusals and warnings. The file lvlmkb reads is ``data/data.json`` at commit
``1e22b8b1bd725f66244ceccfb58094da062e7129`` (2,241 items, 617,417 bytes, sha256 :data:`SHA256`); the
repository's HEAD ``68f54dea`` holds the same items with two more fields, ``image_description`` and
``safety_reason`` (1,327,073 bytes, sha256 :data:`HEAD_SHA256`), which load too. Both hashes were
computed from the repository's history, not from a download, and nothing is downloaded: the images are
not in the GitHub repository but in the Hugging Face dataset ``Foreshhh/vlsbench`` (``imgs.tar``; no
revision pinned), so pass ``--data DIR`` where ``DIR`` holds ``data.json`` and the ``imgs/`` folder (or
the JSON file itself, with images beside it).

Per sample: ``fields["prompt"]`` and ``fields["question"]`` are the ``instruction``; the category is
``category`` and ``fields["sub_category"]`` keeps the finer label.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lvlmkb.eval import DatasetError, Sample, dataset, find_data_file, inside, is_file

REPO = "AI45Lab/VLSBench"
REVISION = "1e22b8b1bd725f66244ceccfb58094da062e7129"
SHA256 = "6a29c8c129bb8dc23de779302791babfbd748bc658f90807b749b8138a76c08a"
HEAD_SHA256 = "a42245e79ab67fc9a08e4e35d3a4eba5ae85151d5ca5cd45821c53b22b175fdf"
DATA_FILE = "data.json"
REQUIRED = ("instruction_id", "instruction", "image_path", "category")
OPTIONAL = ("sub_category", "source")
HINT = (
    f"pass --data DIR holding {DATA_FILE} (data/ of https://github.com/{REPO}) and the authors' image "
    "folder that its image_path entries name (imgs/)"
)


def locate(data: Path) -> Path:
    """``data.json``: ``data`` itself, ``data/data.json`` or ``data/data/data.json``."""
    return find_data_file(data, DATA_FILE, "data", HINT)


def parse_vlsbench(path: Path) -> list[Sample]:
    """The items of a VLSBench ``data.json`` in file order; images resolve against the file's folder.

    Args:
        path: The JSON file.

    Returns:
        One sample per item, id ``instruction_id``.

    Raises:
        DatasetError: The file cannot be read, an item lacks a field, or its image is missing.
    """
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:  # deep nesting
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    if not isinstance(content, list):
        raise DatasetError(f"{path}: expected a JSON list of items", "is this VLSBench's data.json?")
    return [_sample(path, index, item) for index, item in enumerate(content)]


def _sample(path: Path, index: int, item: Any) -> Sample:
    if not isinstance(item, dict):
        raise DatasetError(f"{path}: item {index} is not an object", "check the file")
    missing = [name for name in REQUIRED if name not in item]
    if missing:
        raise DatasetError(f"{path}: item {index} lacks {', '.join(missing)}", "check the file")
    if not isinstance(item["instruction"], str) or not isinstance(item["image_path"], str):
        raise DatasetError(f"{path}: item {index} has a non-text instruction or image_path", "check the file")
    image = inside(path.parent, item["image_path"], f"{path}: item {index}")
    if not is_file(image):
        raise DatasetError(f"{path}: item {index} image {image} is missing", HINT)
    fields = {name: str(item[name]) for name in (*REQUIRED, *OPTIONAL) if name in item}
    fields.update(prompt=str(item["instruction"]), question=str(item["instruction"]))
    return Sample(str(item["instruction_id"]), str(item["category"]), fields, image)


@dataset("vlsbench", fields=(*REQUIRED, "prompt", "question"), paper="hu2024vlsbench")
def load_vlsbench(data: Path | None = None) -> tuple[list[Sample], Path]:
    """VLSBench from a local copy; returns the samples and the JSON file read."""
    if data is None:
        raise DatasetError("VLSBench is not downloaded automatically (its images have no pinned revision)", HINT)
    path = locate(data)
    return parse_vlsbench(path), path
