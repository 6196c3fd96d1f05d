"""Datasets by name. Every module of this package may define ``LOADERS: dict[str, Loader]``."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lvlmkb.eval.datasets
from lvlmkb.errors import NotFoundError
from lvlmkb.eval.datasets.base import DatasetError, Sample, sha256_file

Loader = Callable[[Path | None], tuple[list[Sample], Path]]


@functools.cache
def loaders() -> dict[str, Loader]:
    """Every dataset loader, collected from the ``LOADERS`` of the package's modules."""
    found: dict[str, Loader] = {}
    for module_info in pkgutil.iter_modules(lvlmkb.eval.datasets.__path__):
        if module_info.name in {"base", "registry"}:
            continue
        module = importlib.import_module(f"lvlmkb.eval.datasets.{module_info.name}")
        found.update(getattr(module, "LOADERS", {}))
    return found


@dataclass(frozen=True)
class LoadedDataset:
    """Samples plus the file they came from and its hash (recorded in the run record)."""

    name: str
    samples: list[Sample]
    path: Path
    sha256: str


def load_dataset(name: str, data: Path | None = None, limit: int | None = None) -> LoadedDataset:
    """Load dataset ``name`` (or the local copy ``data`` in its format), keeping the first ``limit`` samples.

    Sample ids must be unique: runs key their rows, judges and resumed results by them.
    """
    loader = loaders().get(name)
    if loader is None:
        raise NotFoundError(f"no dataset '{name}'", f"known datasets: {', '.join(sorted(loaders()))}")
    samples, path = loader(data)
    seen: set[str] = set()
    for sample in samples:
        if sample.id in seen:
            raise DatasetError(f"{path}: sample id {sample.id!r} appears twice", "sample ids must be unique")
        seen.add(sample.id)
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
