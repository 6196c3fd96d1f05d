"""VLSBench (Hu et al., arXiv 2411.19939): image-text pairs whose text alone does not leak the harm.

Upstream (``AI45Lab/VLSBench``), ``data/data.json`` is a JSON list of objects with ``instruction_id``,
``instruction``, ``image_path`` (relative to the data folder, e.g. ``imgs/0.png``), ``category``,
``sub_category`` and ``source``. ``eval.py`` loads ``<data_root>/data.json`` and sends each item's
``instruction`` with its ``image_path`` image to the model; a GPT-4o judge (``eval_utils.py``) then
labels refusals and warnings. The file lvlmkb reads is ``data/data.json`` at commit
``1e22b8b1bd725f66244ceccfb58094da062e7129`` (2,241 items, 617,417 bytes, sha256 :data:`SHA256`); the
repository's HEAD ``68f54dea`` holds the same items with two more fields, ``image_description`` and
``safety_reason`` (1,327,073 bytes, sha256 :data:`HEAD_SHA256`), which load too. Both hashes were
computed from the repository's history. The images are not in the GitHub repository but in the Hugging
Face dataset ``Foreshhh/vlsbench`` beside its own ``data.json``. Without ``--data`` both are fetched with
``huggingface_hub`` and ``imgs.tar`` is unpacked (uncompressed; only ``imgs/<name>.png`` or ``.jpg`` regular files)
into lvlmkb's cache; that repository's commit page shows only short commit ids, so neither its revision
nor its hashes are confirmed here: they are fixed on first download (:mod:`lvlmkb.eval.datasets.hub`)
and the run record marks them so. ``--data DIR`` reads a local copy instead, where ``DIR`` holds
``data.json`` and the ``imgs/`` folder (or the JSON file itself, with images beside it).

Per sample: ``fields["prompt"]`` and ``fields["question"]`` are the ``instruction``; the category is
``category`` and ``fields["sub_category"]`` keeps the finer label.
"""

from __future__ import annotations

import json
import re
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from lvlmkb.eval import (
    DatasetError,
    HubPin,
    Sample,
    dataset,
    extracted_dir,
    fetch_hub,
    find_data_file,
    inside,
    is_file,
    note_origin,
)

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


HUB_DATASET = "Foreshhh/vlsbench"
HUB = HubPin(
    HUB_DATASET,
    None,
    {DATA_FILE: None, "imgs.tar": None},
    source="named in AI45Lab/VLSBench's README (68f54de); its commit page shows only short ids (imgs.tar "
    "0510b60, data.json 4fea7d3), so revision and hashes are fixed on first download",
    hint=HINT,
)
MEMBER = re.compile(r"(?:\./)?(imgs/[^/\\]+\.(?:png|jpe?g))", re.IGNORECASE)
"""The members of ``imgs.tar`` that are unpacked: one file name below ``imgs/``, no folder or backslash in it
(hidden files such as ``._x.png`` are skipped)."""


def download() -> Path:
    """VLSBench from the hub: ``data.json`` and the unpacked ``imgs/`` in lvlmkb's cache; returns the JSON."""
    files = fetch_hub(HUB)
    target = extracted_dir(HUB_DATASET, files.revision)
    if not (target / DATA_FILE).is_file():
        _unpack(files.folder / "imgs.tar", files.folder / DATA_FILE, target)
    return note_origin(target / DATA_FILE, HUB, files)


def _unpack(archive: Path, data_json: Path, target: Path) -> None:
    """Unpack the image members of ``archive`` and copy ``data_json`` into ``target``, atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name[:12]}-", dir=target.parent))
    try:
        budget = archive.stat().st_size  # uncompressed, no sparse members: nothing written exceeds the archive
        with tarfile.open(archive, "r:") as bundle:
            for member in bundle:
                budget -= _unpack_member(bundle, member, staging, archive)
                if budget < 0:
                    raise DatasetError(f"{archive}: its members add up to more than the archive", "is this imgs.tar?")
        shutil.copyfile(data_json, staging / DATA_FILE)
        staging.rename(target)
    except (OSError, EOFError, tarfile.TarError) as err:
        if not (target / DATA_FILE).is_file():  # not another process that unpacked it first
            raise DatasetError(f"cannot unpack {archive}: {err}", HINT) from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _unpack_member(bundle: tarfile.TarFile, member: tarfile.TarInfo, staging: Path, archive: Path) -> int:
    """Write one regular image member below ``staging`` and return its size; skip folders and hidden files.

    Raises:
        DatasetError: Any other member: a link, a device, a sparse file, another name, ``..``.
    """
    name = Path(member.name).name
    if member.isdir() or name.startswith("."):
        return 0
    found = MEMBER.fullmatch(member.name)
    if not member.isfile() or member.issparse() or found is None or name in {"", ".."}:
        raise DatasetError(f"{archive}: unexpected member {member.name!r}", "is this VLSBench's imgs.tar?")
    source = bundle.extractfile(member)
    if source is None:
        raise DatasetError(f"{archive}: cannot read member {member.name!r}", "is this VLSBench's imgs.tar?")
    path = staging / found.group(1)
    if not path.resolve().is_relative_to(staging.resolve()):
        raise DatasetError(f"{archive}: member {member.name!r} leads outside", "is this VLSBench's imgs.tar?")
    path.parent.mkdir(parents=True, exist_ok=True)
    with source, path.open("wb") as out:
        shutil.copyfileobj(source, out)
    return member.size


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
    """VLSBench from ``data`` or the hub; returns the samples and the JSON file read."""
    path = download() if data is None else locate(data)
    return parse_vlsbench(path), path
