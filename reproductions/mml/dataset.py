"""MML's released datasets (Wang et al., arXiv 2412.00473): SafeBench, MM-SafeBench and HADES, pre-encrypted.

MML's images are made by code the authors did not publish; the repository (wangyu-ovo/MML at ``5966fca``)
holds only the attack, and its README (L6) points at a Google Drive folder with the built images and each
sample's ``data.json``. ``attack.py`` (L47-59) reads ``<data-path>/<dataset>/<subclass>/data.json``, a list
of items with ``id``, ``original_prompt`` and, for word replacement, ``replace_map``, and the image of item
``id`` in format ``F`` at ``<subclass>/F/<id>.png`` (``.jpg`` for HADES). Nothing is downloaded (the Drive
folder has no revision or hash): pass ``--data DIR`` where ``DIR`` is one dataset's folder (``DIR/<subclass>/
data.json``). Sub-classes are read in sorted order, hidden entries skipped, as ``list_dir`` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lvlmkb.eval import DatasetError, Sample, dataset, inside

REPO, COMMIT = "wangyu-ovo/MML", "5966fca529011e8b5ccff61d70365997d6466abc"
HINT = (
    "pass --data DIR: one dataset folder of the MML release (the Google Drive folder of the README of "
    f"https://github.com/{REPO}), holding <subclass>/data.json and <subclass>/images_<format>/<id>.png"
)


def subclasses(root: Path) -> list[Path]:
    """The sub-class folders of a dataset folder, sorted, hidden ones skipped (``utils.py`` ``list_dir``)."""
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder", HINT)
    found = sorted(p for p in root.iterdir() if not p.name.startswith(".") and (p / "data.json").is_file())
    if not found:
        raise DatasetError(f"no <subclass>/data.json below {root}", HINT)
    return found


def parse_subclass(folder: Path) -> list[Sample]:
    """The items of one sub-class's ``data.json``, in file order, as samples ``<subclass>-<id>``.

    Raises:
        DatasetError: The file is unreadable, not a list, or an item lacks ``id`` or ``original_prompt``.
    """
    path = folder / "data.json"
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:  # deep nesting
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    if not isinstance(content, list):
        raise DatasetError(f"{path}: expected a JSON list of items", "is this an MML data.json?")
    return [_sample(path, folder, index, item) for index, item in enumerate(content)]


def _sample(path: Path, folder: Path, index: int, item: Any) -> Sample:
    if not isinstance(item, dict) or not isinstance(item.get("original_prompt"), str):
        raise DatasetError(f"{path}: item {index} lacks original_prompt", "is this an MML data.json?")
    if type(item.get("id")) not in (str, int) or str(item["id"]) == "":
        raise DatasetError(f"{path}: item {index} lacks an id", "is this an MML data.json?")
    item_id = str(item["id"])
    inside(folder, item_id, f"{path}: item {index}")  # the id names image files
    fields = {
        "original_prompt": item["original_prompt"],
        "question": item["original_prompt"],
        "item_id": item_id,
        "subclass": folder.name,
        "folder": str(folder),
        "replace_map": json.dumps(item["replace_map"]) if "replace_map" in item else "",
    }
    return Sample(f"{folder.name}-{item_id}", folder.name, fields)


@dataset("mml", fields=("original_prompt", "question", "item_id", "subclass", "folder"), paper="wang2024mml")
def load_mml(data: Path | None = None) -> tuple[list[Sample], Path]:
    """One MML dataset folder (SafeBench, MM-SafeBench or HADES) from a local copy of the release."""
    if data is None:
        raise DatasetError("MML's release is not downloaded automatically (a Drive folder, no hash)", HINT)
    samples: list[Sample] = []
    for folder in subclasses(data):
        samples.extend(parse_subclass(folder))
    return samples, data
