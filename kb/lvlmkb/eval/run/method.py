"""What a reproduction module provides, and the registry that finds them in ``reproductions/``.

A method is a class with a pydantic ``Config`` whose every field names its upstream source, a list
of deviations from the original, and a pure ``craft`` function from a dataset sample to model inputs.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import pkgutil
import re
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeVar as TypeVar_

from lvlmkb.errors import LvlmkbError, NotFoundError
from lvlmkb.eval.backends.base import Backend, ImageInput
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.kb.schema.common import SLUG_PATTERN

MethodKind = Literal["attack", "defense", "benchmark"]


class MethodConfig(BaseModel):
    """Base of every method config: immutable, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


C = TypeVar_("C", bound=MethodConfig, default=MethodConfig, covariant=True)


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


class Plugin(ABC, Generic[C]):
    """What attacks, defenses and benchmarks share: identity, a sourced config and deviations.

    Subclass with the module's config class as the type argument (``class FigStep(Method[FigStepConfig])``)
    and set ``Config`` to the same class: ``settings`` is then the config with its own type.
    """

    id: ClassVar[str]
    paper: ClassVar[str]
    kind: ClassVar[MethodKind]
    version: ClassVar[str]
    Config: ClassVar[type[MethodConfig]]
    deviations: ClassVar[tuple[Deviation, ...]] = ()

    def __init__(self, config: MethodConfig | None = None) -> None:
        self.config: MethodConfig = config or self.Config()
        if not isinstance(self.config, self.Config):
            raise TypeError(f"{self.id} takes a {self.Config.__name__}, not a {type(self.config).__name__}")

    @property
    def settings(self) -> C:
        """The config, typed as the plugin's own config class (checked when the plugin is made)."""
        return cast(C, self.config)

    def provenance(self) -> dict[str, str]:
        """Hashes of assets the method used (fonts, files), recorded in the run record."""
        return {}

    def setting(self) -> str:
        """The name of this configuration as papers report it (matched against reported results)."""
        return ""

    def effective_config(self) -> dict[str, Any]:
        """The configuration as it took effect, which the run record shows (by default, the config itself)."""
        return self.config.model_dump(mode="json")

    def release(self) -> None:
        """Free what crafting held (e.g. an image generator) before the model under test loads."""

    def fingerprint(self) -> str:
        """Hash of id, version and config: two plugins with equal fingerprints behave the same."""
        payload = json.dumps([self.id, self.version, self.config.model_dump(mode="json")], sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

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


class Method(Plugin[C]):
    """An attack or benchmark: turns each dataset sample into model inputs (see ``reproductions/figstep.py``)."""

    default_dataset: ClassVar[str]
    default_judges: ClassVar[tuple[str, ...]]

    @abstractmethod
    def craft(self, sample: Sample) -> CraftedInput:
        """Build the model input for one sample."""


class Defense(Plugin[C]):
    """A defense: wraps any backend so that every attack x defense x model combination runs."""

    kind: ClassVar[MethodKind] = "defense"

    @abstractmethod
    def wrap(self, backend: Backend) -> Backend:
        """Return a backend that answers through this defense."""


M = TypeVar("M", bound=type[Plugin])
_REGISTRY: dict[str, type[Plugin]] = {}


def reproduction(cls: M) -> M:
    """Class decorator that registers an attack, benchmark or defense under its ``id`` (a slug: it names folders)."""
    if not re.fullmatch(SLUG_PATTERN, cls.id):
        raise LvlmkbError(f"reproduction id {cls.id!r} is not a slug", "use lowercase letters, digits and hyphens")
    existing = _REGISTRY.get(cls.id)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise LvlmkbError(f"two reproductions are called '{cls.id}'", "rename one of them")
    _REGISTRY[cls.id] = cls
    return cls


PACKAGE = "reproductions"
"""The import name of a checkout's ``reproductions/`` folder: plugins are ``reproductions.<module>``."""


def import_checkout(folder: Path) -> ModuleType | None:
    """The package ``reproductions`` of the checkout whose plugin folder is ``folder``, imported once.

    The package is bound to ``folder`` itself (no ``sys.path`` entry), so plugins import each other with plain
    ``from reproductions.x import ...`` wherever lvlmkb is installed. Asking for another checkout's folder
    unloads the previous one's modules and registrations first: one process sees one checkout at a time.
    """
    folder = folder.resolve()
    loaded = sys.modules.get(PACKAGE)
    if loaded is not None:
        if folder in [Path(p).resolve() for p in getattr(loaded, "__path__", [])]:
            return loaded
        _unload_checkout()
    init = folder / "__init__.py"
    if not init.is_file():
        return None  # a knowledge base without plugins (only models.yaml, or no folder at all)
    spec = importlib.util.spec_from_file_location(PACKAGE, init, submodule_search_locations=[str(folder)])
    if spec is None or spec.loader is None:
        raise NotFoundError(f"cannot import the reproductions package in {folder}", "check its __init__.py")
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    try:
        spec.loader.exec_module(package)
    except Exception:
        del sys.modules[PACKAGE]
        raise
    return package


def _unload_checkout() -> None:
    """Forget the loaded ``reproductions`` package, its modules and the plugins they registered."""
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]
    for plugin_id in [i for i, cls in _REGISTRY.items() if cls.__module__.startswith(f"{PACKAGE}.")]:
        del _REGISTRY[plugin_id]


def load_plugins(folder: Path) -> dict[str, type[Plugin]]:
    """Import every plugin module ``reproductions.<name>`` and return everything registered.

    Modules whose names start with ``_`` are helpers, imported only by the plugins that use them.
    """
    package = import_checkout(folder)
    for info in pkgutil.iter_modules(package.__path__ if package is not None else []):
        if not info.name.startswith("_"):
            importlib.import_module(f"{PACKAGE}.{info.name}")
    return dict(_REGISTRY)


def registered(plugin_id: str) -> type[Plugin]:
    """A plugin already loaded by :func:`load_plugins` (for modules that build on another one)."""
    if plugin_id not in _REGISTRY:
        raise NotFoundError(f"reproduction '{plugin_id}' is not loaded", "load the checkout's reproductions first")
    return _REGISTRY[plugin_id]


def load_methods(folder: Path) -> dict[str, type[Method]]:
    """The registered attacks and benchmarks."""
    return {k: v for k, v in load_plugins(folder).items() if issubclass(v, Method)}


def load_defenses(folder: Path) -> dict[str, type[Defense]]:
    """The registered defenses."""
    return {k: v for k, v in load_plugins(folder).items() if issubclass(v, Defense)}


def get_method(folder: Path, method_id: str) -> type[Method]:
    """The attack or benchmark ``method_id`` or a helpful error."""
    methods = load_methods(folder)
    if method_id not in methods:
        known = ", ".join(sorted(methods)) or "none"
        raise NotFoundError(f"no reproduction '{method_id}'", f"registered reproductions: {known}")
    return methods[method_id]


def get_defense(folder: Path, defense_id: str) -> type[Defense]:
    """The defense ``defense_id`` or a helpful error."""
    defenses = load_defenses(folder)
    if defense_id not in defenses:
        known = ", ".join(sorted(defenses)) or "none"
        raise NotFoundError(f"no defense '{defense_id}'", f"registered defenses: {known}")
    return defenses[defense_id]
