"""What a reproduction module provides, and the registry that finds them in ``reproductions/``.

A method is a class with a pydantic ``Config`` whose every field names its upstream source, a list
of deviations from the original, and a pure ``craft`` function from a dataset sample to model inputs.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from lvlmkb.backends.base import ImageInput
from lvlmkb.datasets.base import Sample
from lvlmkb.errors import LvlmkbError, NotFoundError

MethodKind = Literal["attack", "defense", "benchmark"]


class MethodConfig(BaseModel):
    """Base of every method config: immutable, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Source:
    """Where a parameter comes from: repository, commit, file and a pointer inside it."""

    repo: str
    commit: str
    file: str
    where: str = ""

    def cite(self) -> str:
        """``repo@commit7:file (where)``."""
        where = f" ({self.where})" if self.where else ""
        return f"{self.repo}@{self.commit[:7]}:{self.file}{where}"


def sourced(source: Source, **extra: Any) -> dict[str, Any]:
    """``json_schema_extra`` for a config field: records its upstream source on the field."""
    return {"source": source.cite(), **extra}


@dataclass(frozen=True)
class Deviation:
    """A way in which lvlmkb differs from the original code, and why."""

    what: str
    why: str


@dataclass(frozen=True)
class CraftedInput:
    """Model inputs crafted from one sample: a text prompt and images, plus provenance."""

    sample_id: str
    category: str
    prompt: str
    images: tuple[ImageInput, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)


class Method(ABC):
    """Base class of reproduction modules (see ``reproductions/figstep.py``)."""

    id: ClassVar[str]
    paper: ClassVar[str]
    kind: ClassVar[MethodKind]
    version: ClassVar[str]
    default_dataset: ClassVar[str]
    default_judges: ClassVar[tuple[str, ...]]
    Config: ClassVar[type[MethodConfig]]
    deviations: ClassVar[tuple[Deviation, ...]] = ()

    def __init__(self, config: MethodConfig | None = None) -> None:
        self.config = config or self.Config()

    @abstractmethod
    def craft(self, sample: Sample) -> CraftedInput:
        """Build the model input for one sample."""

    def provenance(self) -> dict[str, str]:
        """Hashes of assets the method used (fonts, files), recorded in the run record."""
        return {}

    def setting(self) -> str:
        """The name of this configuration as papers report it (matched against reported results)."""
        return ""

    @classmethod
    def card(cls) -> list[dict[str, str]]:
        """Every config parameter with its value and upstream source."""
        rows = []
        defaults = cls.Config().model_dump(mode="json")
        for name, info in cls.Config.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            rows.append(
                {
                    "name": name,
                    "value": json.dumps(defaults[name], ensure_ascii=False),
                    "source": str(extra.get("source", "")),
                    "note": str(extra.get("note", "")),
                }
            )
        return rows


M = TypeVar("M", bound=type[Method])
_REGISTRY: dict[str, type[Method]] = {}


def reproduction(cls: M) -> M:
    """Class decorator that registers a method under its ``id``."""
    existing = _REGISTRY.get(cls.id)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise LvlmkbError(f"two reproductions are called '{cls.id}'", "rename one of them")
    _REGISTRY[cls.id] = cls
    return cls


def load_methods(folder: Path) -> dict[str, type[Method]]:
    """Import every ``reproductions/*.py`` module once and return the registered methods."""
    for path in sorted(folder.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        name = f"lvlmkb_reproductions.{path.stem}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception:
            del sys.modules[name]
            raise
    return dict(_REGISTRY)


def get_method(folder: Path, method_id: str) -> type[Method]:
    """The method ``method_id`` or a helpful error."""
    methods = load_methods(folder)
    if method_id not in methods:
        known = ", ".join(sorted(methods)) or "none"
        raise NotFoundError(f"no reproduction '{method_id}'", f"registered reproductions: {known}")
    return methods[method_id]
