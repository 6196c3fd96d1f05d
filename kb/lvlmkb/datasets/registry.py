"""Datasets by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lvlmkb.datasets.base import Sample, sha256_file
from lvlmkb.datasets.figstep_pro import load_figstep_pro
from lvlmkb.datasets.safebench import load_safebench
from lvlmkb.errors import NotFoundError

Loader = Callable[[Path | None], tuple[list[Sample], Path]]

LOADERS: dict[str, Loader] = {
    "safebench": lambda data: load_safebench(data, tiny=False),
    "safebench-tiny": lambda data: load_safebench(data, tiny=True),
    "figstep-pro": load_figstep_pro,
}


@dataclass(frozen=True)
class LoadedDataset:
    """Samples plus the file they came from and its hash (recorded in the run record)."""

    name: str
    samples: list[Sample]
    path: Path
    sha256: str


def load_dataset(name: str, data: Path | None = None, limit: int | None = None) -> LoadedDataset:
    """Load dataset ``name`` (or the local copy ``data`` in its format), keeping the first ``limit`` samples."""
    loader = LOADERS.get(name)
    if loader is None:
        raise NotFoundError(f"no dataset '{name}'", f"known datasets: {', '.join(sorted(LOADERS))}")
    samples, path = loader(data)
    if limit is not None:
        samples = samples[:limit]
    return LoadedDataset(name, samples, path, sha256_file(path))
