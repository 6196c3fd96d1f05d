"""JailBreakV-28K (Luo et al., COLM 2024, arXiv 2404.03027): 28,000 text-image jailbreak cases, and its mini split.

The release is the Hugging Face dataset ``JailbreakV-28K/JailBreakV-28k``; its folder ``JailBreakV_28K/``
holds ``mini_JailBreakV_28K.csv`` (the mini split), ``JailBreakV_28K.csv`` (all 28,000 cases) and the
image folders (``figstep/``, ``llm_transfer_attack/``, ``query_related/``, ...) that the CSV's
``image_path`` column names relative to that folder. The dataset card lists the columns ``id``,
``jailbreak_query``, ``redteam_query``, ``format``, ``policy``, ``image_path``, ``from``, ``selected_mini``
and ``transfer_from_llm``; third-party evaluation code reads ``jailbreak_query`` as the text sent with
the image. The GitHub code (``EddyLuo1232/JailBreakV_28K``) and the CSV itself could not be read from this
project.

Without ``--data`` the split's CSV, and then exactly the images it names, are fetched with
``huggingface_hub`` at commit :data:`HUB_REVISION` (the v0.2 upload, seen on the dataset's commit page)
into the Hugging Face cache; the files' hashes could not be confirmed here, so they are fixed on first
download (:mod:`lvlmkb.eval.datasets.hub`) and the run record marks them so. ``--data DIR`` reads a local
copy instead, where ``DIR`` is the ``JailBreakV_28K/`` folder (the dataset root, or the CSV file itself,
are accepted too). The sizes (280 rows in the mini split, 28,000 in ``JailBreakV_28K.csv``, whose
header the dataset card documents and which was not read here) are documented, not enforced, so that
partial copies load. The full split is ``jailbreakv-28k``; both read the same columns.

Per sample: ``fields["prompt"]`` is ``jailbreak_query`` (what the model receives), ``fields["question"]``
is ``redteam_query`` (the underlying harmful request, for judges), and the category is ``policy``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from lvlmkb.eval import DatasetError, HubPin, Sample, dataset, fetch_hub, find_data_file, inside, note_origin

HF_DATASET = "JailbreakV-28K/JailBreakV-28k"
FOLDER = "JailBreakV_28K"
MINI_FILE = "mini_JailBreakV_28K.csv"
FULL_FILE = "JailBreakV_28K.csv"
MINI_ROWS = 280
FULL_ROWS = 28_000
REQUIRED = ("id", "jailbreak_query", "redteam_query", "format", "policy", "image_path")
OPTIONAL = ("from", "selected_mini", "transfer_from_llm")
HUB_REVISION = "8b490aad74832261dd1a2b191e0ea3555424f483"
HINT = (
    f"pass --data DIR: the {FOLDER}/ folder of https://huggingface.co/datasets/{HF_DATASET} holding "
    f"{MINI_FILE} and the image folders its image_path column names"
)


def hub_pin(name: str) -> HubPin:
    """The pin of one split's CSV in the dataset repository (its sha256 unconfirmed: fixed on first download)."""
    return HubPin(
        HF_DATASET,
        HUB_REVISION,
        {f"{FOLDER}/{name}": None},
        source="commit 8b490aad (v0.2 upload, 2024-06-22) on the dataset's commit page; no file hash confirmed",
        hint=HINT.replace(MINI_FILE, name),
    )


def image_paths(path: Path) -> list[str]:
    """The ``image_path`` values of a JailBreakV-28K CSV (each checked to stay inside the CSV's folder)."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    names = [row.get("image_path") or "" for row in rows]
    for line, name in enumerate(names, start=2):
        inside(path.parent, name, f"{path}:{line}")
    return sorted({name for name in names if name})


def download(name: str) -> Path:
    """One split from the hub: its CSV, then the images it names; returns the CSV in the Hugging Face cache."""
    pin = hub_pin(name)
    csv_path = fetch_hub(pin).folder / FOLDER / name
    files = fetch_hub(pin, [f"{FOLDER}/{image}" for image in image_paths(csv_path)])
    return note_origin(csv_path, pin, files)


def locate(data: Path, name: str = MINI_FILE) -> Path:
    """A split's CSV: ``data`` itself, ``data/<csv>`` or ``data/JailBreakV_28K/<csv>``."""
    return find_data_file(data, name, FOLDER, HINT.replace(MINI_FILE, name))


def parse_jailbreakv(path: Path) -> list[Sample]:
    """Rows of a JailBreakV-28K CSV in file order; images resolve against the CSV's folder.

    Args:
        path: ``mini_JailBreakV_28K.csv`` (or another split in the same format).

    Returns:
        One sample per row, id from the ``id`` column.

    Raises:
        DatasetError: The file cannot be read, a column is missing, a row is empty or its image is missing.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in REQUIRED if name not in (reader.fieldnames or ())]
            if missing:
                raise DatasetError(f"{path}: missing columns {', '.join(missing)}", "is this a JailBreakV-28K CSV?")
            return [_sample(path, line, row) for line, row in enumerate(reader, start=2)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err


def _sample(path: Path, line: int, row: dict[str, str]) -> Sample:
    empty = [name for name in ("id", "jailbreak_query", "image_path") if not (row.get(name) or "").strip()]
    if empty:
        raise DatasetError(f"{path}:{line}: empty {', '.join(empty)}", "check the CSV row")
    image = inside(path.parent, row["image_path"], f"{path}:{line}")
    if not image.is_file():
        raise DatasetError(f"{path}:{line}: missing image {image}", HINT)
    fields = {name: row[name] for name in (*REQUIRED, *OPTIONAL) if row.get(name) is not None}
    fields.update(prompt=row["jailbreak_query"], question=row["redteam_query"])
    return Sample(row["id"], row["policy"], fields, image)


@dataset("jailbreakv-28k-mini", fields=(*REQUIRED, "prompt", "question"), paper="luo2024jailbreakv")
def load_mini(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The mini split from ``data`` or the hub; returns the samples and the CSV read."""
    path = download(MINI_FILE) if data is None else locate(data)
    return parse_jailbreakv(path), path


@dataset("jailbreakv-28k", fields=(*REQUIRED, "prompt", "question"), paper="luo2024jailbreakv")
def load_full(data: Path | None = None) -> tuple[list[Sample], Path]:
    """All 28,000 cases from ``data`` or the hub; returns the samples and the CSV read."""
    path = download(FULL_FILE) if data is None else locate(data, FULL_FILE)
    return parse_jailbreakv(path), path
