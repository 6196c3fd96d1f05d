"""What the engine can run: the plugins of a checkout and the datasets, each registered by its decorator.

Attacks, benchmarks and defenses register themselves through their decorators (:mod:`lvlmkb.eval.plugin`)
when their module is imported; :func:`load_plugins` imports every module of the checkout's package, imported
as ``reproductions``: one folder per paper, holding its plugins and the datasets it published (registered
through :func:`dataset`) side by side. Judges and backends have built-ins, named lazily (so ``lvlmkb
--help`` imports none), and a checkout may register more. Suites are the checkout's YAML files, read by
:func:`suites`.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from pydantic import BaseModel

from lvlmkb.choices import choice_hint
from lvlmkb.errors import LvlmkbError, NotFoundError
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.judges.base import JudgeFactory
from lvlmkb.eval.plugin import Defense, Method, Plugin
from lvlmkb.kb.plugin_scan import PACKAGE
from lvlmkb.kb.schema.common import SLUG_PATTERN

if TYPE_CHECKING:
    from lvlmkb.eval.suites import Suite

_REGISTRY: dict[str, type[Plugin]] = {}

DatasetLoader = Callable[[Path | None], tuple[list[Sample], Path]]
"""Loads a dataset from a local copy (a file or folder, or None for the pinned download): samples and the path read."""


@dataclass(frozen=True)
class DatasetEntry:
    """A registered dataset: its loader, the sample fields every row has, and the paper that published it."""

    name: str
    loader: DatasetLoader
    fields: tuple[str, ...]
    paper: str | None
    module: str
    unreported: bool = False


_DATASETS: dict[str, DatasetEntry] = {}


@dataclass(frozen=True)
class JudgeEntry:
    """A registered judge: its factory, the settings model of ``--judge-set``, and whether it asks a model."""

    id: str
    factory: JudgeFactory
    settings: type[BaseModel] | None
    needs_model: bool
    module: str


_JUDGES: dict[str, JudgeEntry] = {}


@dataclass(frozen=True)
class BackendEntry:
    """A registered backend: the class that runs models (``module:Class``, imported on first use) and its extra."""

    name: str
    target: str
    extra: str | None = None
    """The ``pip install 'lvlmkb[EXTRA]'`` that provides its dependencies (None: the core ones)."""


_BACKENDS: dict[str, BackendEntry] = {
    entry.name: entry
    for entry in (
        BackendEntry("hf", "lvlmkb.eval.backends.hf:HFBackend", "hf"),
        BackendEntry("openai", "lvlmkb.eval.backends.openai_compat:OpenAIBackend"),
        BackendEntry("mock", "lvlmkb.eval.backends.mock:MockBackend"),
    )
}
"""The built-in backends, named lazily: nothing of theirs is imported until a model opens."""
BUILTIN_JUDGES = "lvlmkb.eval.judges.builtin"
"""The module that registers the engine's judges, imported on the first lookup."""


def register_plugin(cls: type[Plugin]) -> None:
    """Register an attack, benchmark or defense under its ``id`` (a slug: it names folders)."""
    if not re.fullmatch(SLUG_PATTERN, cls.id):
        raise LvlmkbError(f"reproduction id {cls.id!r} is not a slug", "use lowercase letters, digits and hyphens")
    existing = _REGISTRY.get(cls.id)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise LvlmkbError(f"two reproductions are called '{cls.id}'", "rename one of them (the decorator's id=)")
    _REGISTRY[cls.id] = cls


def dataset(
    name: str, *, fields: Sequence[str], paper: str | None = None, unreported: bool = False
) -> Callable[[DatasetLoader], DatasetLoader]:
    """Register a dataset loader under ``name``: the fields every sample has (checked on loading) and its paper.

    Attacks name the fields they read (``@attack(needs=[...])``), so a dataset without them is refused before
    anything loads. ``unreported``: its paper published no number on this set (MOSSBench's contrast scenes),
    so a run on it is never set beside the paper's numbers, which were measured on another set.
    """

    def declare(loader: DatasetLoader) -> DatasetLoader:
        if not re.fullmatch(SLUG_PATTERN, name):
            raise LvlmkbError(f"dataset name {name!r} is not a slug", "use lowercase letters, digits and hyphens")
        existing = _DATASETS.get(name)
        if existing is not None and existing.module != loader.__module__:
            raise LvlmkbError(f"two datasets are called '{name}'", f"{existing.module} and {loader.__module__}")
        _DATASETS[name] = DatasetEntry(name, loader, tuple(fields), paper, loader.__module__, unreported)
        return loader

    return declare


def datasets() -> dict[str, DatasetEntry]:
    """Every dataset the loaded checkout declares (see :func:`load_plugins`), by name."""
    return dict(sorted(_DATASETS.items()))


def register_judge(
    judge_id: str,
    factory: JudgeFactory,
    *,
    settings: type[BaseModel] | None = None,
    needs_model: bool = False,
) -> None:
    """Register a judge: ``factory(options)`` makes it; ``settings`` is what ``--judge-set`` may change.

    ``needs_model``: the judge asks the model that ``--judge-model`` names (an LLM judge). A checkout's module
    may register a judge beside its paper; it is forgotten when another checkout loads.
    """
    if not re.fullmatch(SLUG_PATTERN, judge_id):
        raise LvlmkbError(f"judge id {judge_id!r} is not a slug", "use lowercase letters, digits and hyphens")
    module = getattr(factory, "__module__", "") or ""
    existing = _JUDGES.get(judge_id)
    if existing is not None and existing.module != module:
        raise LvlmkbError(f"two judges are called '{judge_id}'", f"{existing.module} and {module}")
    _JUDGES[judge_id] = JudgeEntry(judge_id, factory, settings, needs_model, module)


def register_backend(name: str, target: str, *, extra: str | None = None) -> None:
    """Register a backend by name: ``target`` is ``module:Class``, imported when a model first opens with it."""
    if not re.fullmatch(SLUG_PATTERN, name) or target.count(":") != 1:
        raise LvlmkbError(f"backend {name!r} -> {target!r} is not a slug and a module:Class", "see register_backend")
    _BACKENDS[name] = BackendEntry(name, target, extra)


def backends() -> dict[str, BackendEntry]:
    """Every registered backend by name."""
    return dict(sorted(_BACKENDS.items()))


def judges() -> dict[str, JudgeEntry]:
    """Every registered judge by id: the built-in ones and those of the loaded checkout."""
    importlib.import_module(BUILTIN_JUDGES)
    return dict(sorted(_JUDGES.items()))


def suites(folder: Path) -> dict[str, Suite]:
    """Every suite of the checkout whose plugin folder is ``folder`` (``suites/*.yaml``), by id.

    Suites are data, read (never imported) on each call, so an edited file is seen at once.

    Raises:
        UsageError: listing every problem of every file (``path:line: field: message``).
    """
    from lvlmkb.eval.suites import load_suites

    return load_suites(folder)


def get_suite(folder: Path, suite_id: str) -> Suite:
    """The suite ``suite_id`` of the checkout or an error listing the known ones."""
    known = suites(folder)
    if suite_id not in known:
        raise unknown("suite", suite_id, known, "lvlmkb suites")
    return known[suite_id]


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
    for name in [n for n, entry in _DATASETS.items() if entry.module.startswith(f"{PACKAGE}.")]:
        del _DATASETS[name]
    for judge_id in [i for i, entry in _JUDGES.items() if entry.module.startswith(f"{PACKAGE}.")]:
        del _JUDGES[judge_id]


def load_plugins(folder: Path) -> dict[str, type[Plugin]]:
    """Import every module of the checkout's paper folders (``reproductions.<paper>.<module>``); return the plugins.

    Importing registers the attacks, benchmarks, defenses, datasets and judges the modules declare. Modules
    whose names start with ``_`` are helpers, imported only by the modules that use them.
    """
    package = import_checkout(folder)
    if package is not None:
        for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.", onerror=_reraise):
            if not any(part.startswith("_") for part in info.name.split(".")[1:]):
                importlib.import_module(info.name)
    return dict(_REGISTRY)


def _reraise(name: str) -> None:
    """``walk_packages`` calls this when a package fails to import: the error reaches the caller."""
    raise


def load_methods(folder: Path) -> dict[str, type[Method]]:
    """The registered attacks and benchmarks."""
    return {k: v for k, v in load_plugins(folder).items() if issubclass(v, Method)}


def load_defenses(folder: Path) -> dict[str, type[Defense]]:
    """The registered defenses."""
    return {k: v for k, v in load_plugins(folder).items() if issubclass(v, Defense)}


def unknown(kind: str, name: str, known: Iterable[str], listing: str, elsewhere: str | None = None) -> NotFoundError:
    """The one error for an id that no registry of ``kind`` holds.

    Its hint is ``elsewhere`` when the id is a thing of another kind (a defense given as the method), else a
    did-you-mean, else the ids or where ``listing`` shows them.
    """
    return NotFoundError(f"no {kind} '{name}'", elsewhere or choice_hint(kind, name, known, f"`{listing}`"))


def get_method(folder: Path, method_id: str) -> type[Method]:
    """The attack or benchmark ``method_id`` or a helpful error (a defense's id says to pass it with ``--defense``)."""
    plugins = load_plugins(folder)
    found = plugins.get(method_id)
    if found is not None and issubclass(found, Method):
        return found
    methods = sorted(i for i, cls in plugins.items() if issubclass(cls, Method))
    elsewhere = f"'{method_id}' is a defense: wrap it around the model with --defense {method_id}" if found else None
    raise unknown("attack or benchmark", method_id, methods, "lvlmkb methods", elsewhere)


def get_defense(folder: Path, defense_id: str) -> type[Defense]:
    """The defense ``defense_id`` or a helpful error (an attack's id says to pass it as the method)."""
    plugins = load_plugins(folder)
    found = plugins.get(defense_id)
    if found is not None and issubclass(found, Defense):
        return found
    defenses = sorted(i for i, cls in plugins.items() if issubclass(cls, Defense))
    elsewhere = None
    if found is not None:
        what = "an attack" if found.kind == "attack" else f"a {found.kind}"
        elsewhere = f"'{defense_id}' is {what}: run it as METHOD, and name a defense with --defense"
    raise unknown("defense", defense_id, defenses, "lvlmkb methods", elsewhere)
