"""MSSBench (Zhou et al., ICLR 2025, arXiv 2410.06172): the same request in a safe and in an unsafe situation.

The Hugging Face dataset ``kzhou35/mssbench`` (linked from the README of eric-ai-lab/MSSBench at ``1602193``)
holds ``combined.json``, an object with a ``chat`` and an ``embodied`` list, and the image folders ``chat/``
and ``embodied/``. ``utils/infer_on_data.py`` (L30-91, setting ``if``) expands it into pairs:

- chat: each record's ``safe_image_path`` and ``unsafe_image_path`` (below ``chat/``), and for each of its
  ``queries`` the same query asked with the safe image and with the unsafe one;
- embodied: each record's ``safe`` and ``unsafe`` images (below ``embodied/``), and for each pair of
  ``safe_instructions`` and ``unsafe_instructions`` (zipped) the safe instruction with the safe image and
  the unsafe one with the unsafe image.

Each half of a pair is one sample here (``chat-<record>-<query>-safe``, ``...-unsafe``), its category the task
and side (``chat-safe``, ``chat-unsafe``, ``embodied-safe``, ``embodied-unsafe``). The code opens
``combine.json`` (``inference.py`` L34) where the dataset ships ``combined.json``; both names are accepted.
Without ``--data`` the files come from the hub at revision ``4d25292`` (the dataset's first commit, the data
behind arXiv v1's 1,820 pairs; a later "data v1.1" commit is known only by a short id), their hashes fixed on
first download. ``--data DIR`` reads a local copy holding the JSON and the two image folders.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lvlmkb.eval import DatasetError, HubPin, Sample, dataset, fetch_hub, inside, is_file, note_origin

HF_DATASET = "kzhou35/mssbench"
HUB_REVISION = "4d252925b58f1997bc0e8ea339b74ab9343d953d"
NAMES = ("combined.json", "combine.json")
HINT = f"pass --data DIR holding combined.json and the chat/ and embodied/ folders of https://huggingface.co/datasets/{HF_DATASET}"
HUB = HubPin(
    HF_DATASET,
    HUB_REVISION,
    {"combined.json": None},
    source="the dataset's 'first commit' (2024-10-07) on its commit page; no file hash confirmed",
    hint=HINT,
)
Pair = tuple[str, str, str]
"""(text, safe image, unsafe image) or, embodied, (safe text | unsafe text, ...) as expanded below."""


def download() -> Path:
    """``combined.json`` from the hub, then the images it names; returns the JSON in the hub cache."""
    path = fetch_hub(HUB).folder / "combined.json"
    files = fetch_hub(HUB, sorted({image for _sample_id, _text, image, *_ in _halves(path, _read(path))}))
    return note_origin(path, HUB, files)


def locate(data: Path) -> Path:
    """The JSON file: ``data`` itself, or ``combined.json`` (or ``combine.json``) in it."""
    if data.is_file():
        return data
    found = next((data / name for name in NAMES if (data / name).is_file()), None)
    if found is None:
        raise DatasetError(f"{data} holds no {' or '.join(NAMES)}", HINT)
    return found


def _read(path: Path) -> dict[str, Any]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:  # deep nesting
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    if not isinstance(content, dict) or not all(isinstance(content.get(k), list) for k in ("chat", "embodied")):
        raise DatasetError(f"{path}: expected an object with 'chat' and 'embodied' lists", "is this combined.json?")
    return content


def _texts(path: Path, where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DatasetError(f"{path}: {where} is not a list of texts", "check the file")
    return value


def _image(path: Path, where: str, record: dict[str, Any], key: str, folder: str) -> str:
    name = record.get(key)
    if not isinstance(name, str) or not name:
        raise DatasetError(f"{path}: {where} has no {key}", "check the file")
    inside(path.parent / folder, name, f"{path}: {where}")
    return f"{folder}/{name}"


def _halves(path: Path, content: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(sample id, text, image, task, side, type) of every half of every pair, in upstream's order."""
    halves = []
    for i, record in enumerate(content["chat"]):
        where = f"chat record {i}"
        if not isinstance(record, dict):
            raise DatasetError(f"{path}: {where} is not an object", "check the file")
        safe, unsafe = (_image(path, where, record, k, "chat") for k in ("safe_image_path", "unsafe_image_path"))
        kind = str(record.get("Type") or "")
        for q, query in enumerate(_texts(path, f"{where} queries", record.get("queries"))):
            halves += [(f"chat-{i}-{q}-safe", query, safe, "chat", "safe", kind)]
            halves += [(f"chat-{i}-{q}-unsafe", query, unsafe, "chat", "unsafe", kind)]
    for i, record in enumerate(content["embodied"]):
        where = f"embodied record {i}"
        if not isinstance(record, dict):
            raise DatasetError(f"{path}: {where} is not an object", "check the file")
        safe, unsafe = (_image(path, where, record, k, "embodied") for k in ("safe", "unsafe"))
        kind = str(record.get("category") or "")
        safes = _texts(path, f"{where} safe_instructions", record.get("safe_instructions"))
        unsafes = _texts(path, f"{where} unsafe_instructions", record.get("unsafe_instructions"))
        for k, (safe_text, unsafe_text) in enumerate(zip(safes, unsafes, strict=False)):  # zip, as upstream
            halves += [(f"embodied-{i}-{k}-safe", safe_text, safe, "embodied", "safe", kind)]
            halves += [(f"embodied-{i}-{k}-unsafe", unsafe_text, unsafe, "embodied", "unsafe", kind)]
    return halves


def parse_mssbench(path: Path) -> list[Sample]:
    """Both halves of every chat and embodied pair of ``combined.json``, chat first, as upstream runs them.

    Raises:
        DatasetError: The file is unreadable, a record lacks its images or texts, or an image is missing.
    """
    samples = []
    for sample_id, text, image, task, side, kind in _halves(path, _read(path)):
        file = path.parent / image
        if not is_file(file):
            raise DatasetError(f"{path}: {sample_id} image {file} is missing", HINT)
        fields = {"text": text, "question": text, "task": task, "side": side, "type": kind}
        samples.append(Sample(sample_id, f"{task}-{side}", fields, file))
    return samples


@dataset("mssbench", fields=("text", "question", "task", "side", "type"), paper="zhou2024mssbench")
def load_mssbench(data: Path | None = None) -> tuple[list[Sample], Path]:
    """MSSBench from ``data`` or the hub; returns the samples and the JSON file read."""
    path = download() if data is None else locate(data)
    return parse_mssbench(path), path
