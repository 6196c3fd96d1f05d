"""``lvlmkb craft``: attack inputs written to a folder, for inspection or for other pipelines."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from lvlmkb.errors import UsageError
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import get_method
from lvlmkb.eval.run.preflight import check_dataset_fields
from lvlmkb.eval.run.runner import make_config
from lvlmkb.fsio import write_atomic
from lvlmkb.kb.knowledge import KnowledgeBase

MANIFEST = "manifest.jsonl"


def craft_to_folder(
    kb: KnowledgeBase,
    method_id: str,
    out: Path,
    dataset: str | None,
    data: Path | None,
    limit: int | None,
    overrides: dict[str, Any],
) -> int:
    """Write one PNG per image and a manifest line per sample; return the number of samples."""
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise UsageError(f"{out} is not empty and holds no {MANIFEST}", "choose a new or empty folder")
    method_cls = get_method(kb.project.reproductions_dir, method_id)
    method = method_cls(make_config(method_cls, overrides))
    check_dataset_fields(method, dataset or method_cls.default_dataset)
    loaded = load_dataset(dataset or method_cls.default_dataset, data, limit)
    lines = []
    for sample in loaded.samples:
        crafted = method.craft(sample)
        names = []
        for index, image in enumerate(crafted.images):
            name = f"{file_stem(crafted.sample_id)}-{index}.png"
            write_atomic(out / name, image.png)
            names.append(name)
        entry = {
            "sample_id": crafted.sample_id,
            "category": crafted.category,
            "prompt": crafted.prompt,
            "images": names,
            "image_sha256": [i.sha256 for i in crafted.images],
            "meta": crafted.meta,
        }
        lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    header = {
        "method": method_id,
        "version": method_cls.version,
        "config": method.config.model_dump(mode="json"),
        "dataset": loaded.name,
        "dataset_sha256": loaded.sha256,
        "provenance": method.provenance(),
    }
    write_atomic(out / "craft.json", json.dumps(header, indent=2, ensure_ascii=False) + "\n")
    write_atomic(out / MANIFEST, "".join(lines))
    return len(lines)


def file_stem(sample_id: str) -> str:
    """``sample_id`` as one file-name part: dataset ids are data, never a path.

    Characters other than letters, digits, ``-``, ``_`` and ``.`` become ``_``; a changed id gets a hash
    of the original appended, so two ids never share a file.
    """
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in sample_id)
    if stem == sample_id:
        return stem
    return f"{stem}-{hashlib.sha256(sample_id.encode('utf-8')).hexdigest()[:8]}"
