"""Loading a registered dataset by name (see :func:`lvlmkb.eval.registry.dataset`): checked, limited, hashed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lvlmkb.eval.datasets.base import DatasetError, Sample, sha256_file
from lvlmkb.eval.registry import DatasetEntry, datasets, unknown


def dataset_entry(name: str) -> DatasetEntry:
    """The registered dataset ``name`` or an error listing the known ones."""
    known = datasets()
    if name not in known:
        raise unknown("dataset", name, known, "lvlmkb datasets")
    return known[name]


@dataclass(frozen=True)
class LoadedDataset:
    """Samples plus the file they came from and its hash (recorded in the run record)."""

    name: str
    samples: list[Sample]
    path: Path
    sha256: str


def load_dataset(name: str, data: Path | None = None, limit: int | None = None) -> LoadedDataset:
    """Load dataset ``name`` (or the local copy ``data`` in its format), keeping the first ``limit`` samples.

    Sample ids must be unique: runs key their rows, judges and resumed results by them. Every sample has the
    fields the dataset declares (attacks read them).
    """
    entry = dataset_entry(name)
    samples, path = entry.loader(data)
    seen: set[str] = set()
    for sample in samples:
        if sample.id in seen:
            raise DatasetError(f"{path}: sample id {sample.id!r} appears twice", "sample ids must be unique")
        seen.add(sample.id)
        if missing := [f for f in entry.fields if f not in sample.fields]:
            raise DatasetError(
                f"{path}: sample {sample.id!r} has no {', '.join(missing)} ({name} declares it)",
                f"is this a copy of {name}? its rows have: {', '.join(entry.fields)}",
            )
    if limit is not None:
        samples = samples[:limit]
    return LoadedDataset(name, samples, path, sha256_file(path) if path.is_file() else _tree_sha256(path))


def _tree_sha256(folder: Path) -> str:
    """Hash of every file below ``folder`` (relative path and bytes), for folder-shaped datasets."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(sha256_file(path).encode("ascii"))
    return digest.hexdigest()
