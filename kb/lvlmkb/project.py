"""Locate the knowledge-base checkout and the paths inside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lvlmkb.errors import RootNotFoundError


@dataclass(frozen=True)
class Project:
    """Paths of one knowledge-base checkout."""

    root: Path

    @property
    def taxonomy_dir(self) -> Path:
        """The taxonomy YAML files."""
        return self.root / "taxonomy"

    @property
    def papers_dir(self) -> Path:
        """One YAML file per paper."""
        return self.root / "papers"

    @property
    def exclusions_file(self) -> Path:
        """Papers of the source lists left out on purpose, with reasons."""
        return self.papers_dir / "excluded.yaml"

    @property
    def reproductions_dir(self) -> Path:
        """Reproduction modules and the model registry."""
        return self.root / "reproductions"

    @property
    def models_file(self) -> Path:
        """The model registry."""
        return self.reproductions_dir / "models.yaml"

    @property
    def site_dir(self) -> Path:
        """The MkDocs site sources."""
        return self.root / "site"

    @property
    def readme(self) -> Path:
        """The repository README (the awesome list)."""
        return self.root / "README.md"


def is_root(path: Path) -> bool:
    """Return True when ``path`` holds both ``taxonomy/`` and ``papers/``."""
    return (path / "taxonomy").is_dir() and (path / "papers").is_dir()


def find_root(start: Path | None = None, explicit: Path | None = None) -> Project:
    """Return the project for ``explicit`` or the first folder above ``start`` that is a root.

    Raises:
        RootNotFoundError: when no such folder exists.
    """
    if explicit is not None:
        root = explicit.expanduser().resolve()
        if not is_root(root):
            raise RootNotFoundError(
                f"{explicit} has no taxonomy/ and papers/ folders",
                "pass --root pointing at an lvlmkb checkout",
            )
        return Project(root)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_root(folder):
            return Project(folder)
    raise RootNotFoundError(
        f"no taxonomy/ and papers/ above {here}",
        "run inside an lvlmkb checkout or pass --root DIR",
    )
