"""VLGuard's test set (Zong et al., ICML 2024, arXiv 2402.02207): 1,000 images, three instruction subsets.

``data/test.json`` of ys-zong/VLGuard (at ``a2f85c9``) lists 1,000 entries with ``id``, ``image`` (a path
relative to the image folder, e.g. ``bad_ads/<uuid>.png``), ``safe`` and ``instr-resp``: for an unsafe
image one ``{instruction, response}`` (and ``harmful_category``, ``harmful_subcategory``); for a safe image
a ``{safe_instruction, response}`` and an ``{unsafe_instruction, response}``. ``utils/utils.py`` ``load_data``
(L12-28) builds the three subsets the paper evaluates, one dataset each here:

- ``vlguard-unsafes``: the unsafe images with their instruction (442);
- ``vlguard-safe-unsafes``: the safe images with the unsafe instruction (558);
- ``vlguard-safe-safes``: the safe images with the safe instruction (558), for helpfulness.

The images are ``test.zip`` of the Hugging Face dataset ``ys-zong/VLGuard`` (README L13-14; no revision
pinned anywhere), so nothing is downloaded: pass ``--data DIR`` where ``DIR`` holds ``test.json`` and the
unzipped image folders (or ``test.json`` itself, with the folders beside it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lvlmkb.eval import DatasetError, Sample, dataset, find_data_file, inside, is_file

REPO, COMMIT = "ys-zong/VLGuard", "a2f85c90e10345dc5e7eceecadd89c1ed982d04f"
DATA_FILE = "test.json"
HINT = (
    f"pass --data DIR holding {DATA_FILE} (data/ of https://github.com/{REPO}) and the image folders of "
    "test.zip from https://huggingface.co/datasets/ys-zong/VLGuard"
)
SUBSETS = {"unsafes": None, "safe_unsafes": "unsafe_instruction", "safe_safes": "safe_instruction"}
"""Each subset and the instruction key it reads (None: an unsafe image's own ``instruction``)."""


def parse_vlguard(path: Path, subset: str) -> list[Sample]:
    """The samples of one subset of ``test.json``, in file order, as ``load_data`` selects them.

    Raises:
        DatasetError: The file is unreadable, an entry lacks its fields, or an image is missing.
    """
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:  # deep nesting
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    if not isinstance(content, list):
        raise DatasetError(f"{path}: expected a JSON list of entries", "is this VLGuard's test.json?")
    wanted_safe = subset != "unsafes"
    return [
        _sample(path, index, entry, subset)
        for index, entry in enumerate(content)
        if isinstance(entry, dict) and entry.get("safe") is wanted_safe
    ]


def _instruction(entry: dict[str, Any], subset: str) -> Any:
    turns = entry.get("instr-resp")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, dict) for t in turns):
        return None
    key = SUBSETS[subset]
    if key is None:
        return turns[0].get("instruction")
    return next((turn[key] for turn in turns if key in turn), None)


def _sample(path: Path, index: int, entry: dict[str, Any], subset: str) -> Sample:
    instruction = _instruction(entry, subset)
    if not isinstance(instruction, str) or not isinstance(entry.get("image"), str) or "id" not in entry:
        raise DatasetError(f"{path}: entry {index} lacks id, image or its {subset} instruction", "check the file")
    image = inside(path.parent, entry["image"], f"{path}: entry {index}")
    if not is_file(image):
        raise DatasetError(f"{path}: entry {index} image {image} is missing", HINT)
    category = str(entry.get("harmful_category") or ("safe image" if entry.get("safe") else "unsafe image"))
    fields = {
        "instruction": instruction,
        "question": instruction,
        "prompt": instruction,
        "subset": subset,
        "harmful_subcategory": str(entry.get("harmful_subcategory") or ""),
    }
    return Sample(str(entry["id"]), category, fields, image)


def _loader(subset: str) -> Any:
    def load(data: Path | None = None) -> tuple[list[Sample], Path]:
        if data is None:
            raise DatasetError("VLGuard's test set is not downloaded automatically (no pinned revision)", HINT)
        path = find_data_file(data, DATA_FILE, "data", HINT)
        return parse_vlguard(path, subset), path

    load.__doc__ = f"VLGuard's {subset} subset from a local copy; returns the samples and the JSON file read."
    return load


FIELDS = ("instruction", "question", "prompt", "subset")
load_unsafes = dataset("vlguard-unsafes", fields=FIELDS, paper="zong2024safety")(_loader("unsafes"))
load_safe_unsafes = dataset("vlguard-safe-unsafes", fields=FIELDS, paper="zong2024safety")(_loader("safe_unsafes"))
load_safe_safes = dataset("vlguard-safe-safes", fields=FIELDS, paper="zong2024safety")(_loader("safe_safes"))
