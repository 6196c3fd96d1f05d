"""Checks of the knowledge base against the engine, which import the checkout's plugins (``validate --plugins``).

``lvlmkb validate`` alone never runs plugin code (a pull request's module is not executed by a static check);
these checks do, so they are asked for. Each problem is a located diagnostic, like the static ones.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from lvlmkb.errors import Diagnostic, LvlmkbError
from lvlmkb.eval.judges.registry import default_registry
from lvlmkb.eval.plugin import Method, Plugin
from lvlmkb.eval.registry import datasets, load_plugins
from lvlmkb.eval.registry import suites as load_suites
from lvlmkb.eval.run.preflight import check_dataset_fields
from lvlmkb.eval.suites import suites_dir
from lvlmkb.kb.knowledge import KnowledgeBase


def plugin_diagnostics(kb: KnowledgeBase) -> list[Diagnostic]:
    """Every problem between the KB and the checkout's plugins, datasets and suites.

    A plugin's id must be the one the static scan finds; its paper must be in the KB and list the plugin; a
    method's default dataset must exist and have the fields it reads, its default judges must exist; a
    dataset the checkout declares must name a KB paper; a suite must load, and its paper, methods and judges
    must exist.
    """
    root = kb.project.root
    try:
        plugins = load_plugins(kb.project.reproductions_dir)
    except Exception as err:
        return [Diagnostic("reproductions", 0, "", f"the plugins cannot be imported: {type(err).__name__}: {err}")]
    found = [d for cls in plugins.values() for d in _plugin_problems(kb, root, cls)]
    for entry in datasets().values():
        if entry.paper is not None and entry.paper not in kb.papers:
            message = f"dataset '{entry.name}' names unknown paper '{entry.paper}'"
            found.append(Diagnostic(entry.module, 0, "paper", message))
    return sorted([*found, *_suite_problems(kb, set(plugins))])


def _where(root: Path, cls: type[Plugin]) -> tuple[str, int]:
    """The plugin's file (relative to the checkout) and the line of its class."""
    path = Path(inspect.getfile(cls)).resolve()
    shown = path.relative_to(root.resolve()).as_posix() if path.is_relative_to(root.resolve()) else path.name
    return shown, inspect.getsourcelines(cls)[1]


def _plugin_problems(kb: KnowledgeBase, root: Path, cls: type[Plugin]) -> list[Diagnostic]:
    path, line = _where(root, cls)
    problems: list[tuple[str, str]] = []
    if cls.id not in kb.reproductions:
        message = f"{cls.id} is not seen by the static scan of `lvlmkb validate`: give @{cls.kind} a literal id="
        problems.append(("id", message))
    paper = kb.papers.get(cls.paper)
    if paper is None:
        problems.append(("paper", f"{cls.id} names unknown paper '{cls.paper}'"))
    elif cls.id not in paper.reproductions:
        problems.append(("paper", f"papers/{cls.paper}.yaml does not list {cls.id} in its reproductions"))
    if issubclass(cls, Method):
        known = default_registry().ids()
        problems += [("judges", f"unknown default judge '{j}'") for j in cls.default_judges if j not in known]
        try:
            check_dataset_fields(cls(), cls.default_dataset)
        except LvlmkbError as err:
            problems.append(("dataset", err.message))
    return [Diagnostic(path, line, field, message) for field, message in problems]


def _suite_problems(kb: KnowledgeBase, plugin_ids: set[str]) -> list[Diagnostic]:
    folder = suites_dir(kb.project.reproductions_dir)
    try:
        suites = load_suites(kb.project.reproductions_dir)
    except LvlmkbError as err:
        return [Diagnostic("reproductions/suites", 0, "", err.message)]
    judges = set(default_registry().ids())
    found = []
    for suite in suites.values():
        path = (folder / f"{suite.id}.yaml").relative_to(kb.project.root).as_posix()
        if suite.paper not in kb.papers:
            found.append(Diagnostic(path, 0, "paper", f"unknown paper '{suite.paper}'"))
        for index, part in enumerate(suite.parts):
            field = f"parts.{index}"
            if part.method not in plugin_ids:
                found.append(Diagnostic(path, 0, f"{field}.method", f"no attack or benchmark '{part.method}'"))
            found += [
                Diagnostic(path, 0, f"{field}.{key}", f"no judge '{judge}'")
                for key, judge in (("judge", part.judge), ("fallback_judge", part.fallback_judge))
                if judge is not None and judge not in judges
            ]
    return found
