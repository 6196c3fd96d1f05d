"""The plugins of a checkout's ``reproductions/`` folder, found by reading its files, never by importing them.

``lvlmkb validate`` is static (a pull request's module is not executed by a check), yet a paper's
``reproductions: [ids]`` must name plugins that exist. A plugin is a class decorated with ``@attack``,
``@benchmark`` or ``@defense`` in a paper folder (``reproductions/<paper>/<module>.py``); its id is the
decorator's literal ``id=`` or, without one, :func:`slug_of_module`, the same rule the engine's registry
applies when it imports the module. ``validate --plugins`` imports them and reports any id this scan misses.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "reproductions"
"""The import name of a checkout's ``reproductions/`` folder: plugins are ``reproductions.<paper>.<module>``."""
PLUGIN_DECORATORS = frozenset({"attack", "benchmark", "defense"})
"""The decorators that declare a plugin (:mod:`lvlmkb.eval.plugin`); a module named for one is a paper's role."""


@dataclass(frozen=True)
class DeclaredPlugin:
    """A plugin as its source declares it: id, kind (its decorator), paper (a literal ``paper=``), file and line."""

    id: str
    kind: str
    paper: str | None
    path: Path
    line: int


def slug_of_module(module: str) -> str:
    """A plugin's default id, from its paper folder: ``reproductions.<folder>.<module>``.

    A module named for its role (``attack``, ``benchmark``, ``defense``) takes the folder's name
    (``reproductions.visual_adv.attack`` -> ``visual-adv``); another module adds its own
    (``reproductions.figstep.pro`` -> ``figstep-pro``). A module directly in the package, or outside it (a
    test's), takes its own name.
    """
    parts = module.split(".")
    parts = [part.strip("_") for part in (parts[1:] if parts[0] == PACKAGE and len(parts) > 1 else parts[-1:])]
    if len(parts) > 1 and parts[-1] in PLUGIN_DECORATORS:
        parts = parts[:-1]
    return "-".join(parts[-2:]).replace("_", "-")


def module_name(folder: Path, path: Path) -> str:
    """The import name of ``path`` inside the checkout's plugin ``folder`` (``reproductions.figstep.attack``)."""
    return ".".join((PACKAGE, *path.relative_to(folder).with_suffix("").parts))


def declared_plugins(folder: Path) -> list[DeclaredPlugin]:
    """Every plugin class declared below ``folder``, file by file; helpers (``_name``) and unparsable files skipped.

    Only the modules the package import reaches are read (regular files, ``__init__.py`` in every folder on
    the way, not through a link). A file that does not parse is left to ``validate --plugins``, which imports
    it and says why it fails.
    """
    if not folder.is_dir():
        return []
    found: list[DeclaredPlugin] = []
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(folder)
        if any(part.startswith("_") for part in relative.parts) or not _importable(folder, path):
            continue
        text = _source(path)
        if text is None or not any(f"{name}(" in text for name in PLUGIN_DECORATORS):
            continue
        try:
            tree = ast.parse(text, filename=str(path))
        except SyntaxError:
            continue
        default_id = slug_of_module(module_name(folder, path))
        found += [plugin for node in ast.walk(tree) if (plugin := _declared(node, default_id, path)) is not None]
    return found


MAX_SOURCE_BYTES = 1024 * 1024
"""A plugin module larger than this is not read by the scan (``validate --plugins`` imports it)."""


def _importable(folder: Path, path: Path) -> bool:
    """Whether ``path`` is a regular file the package import reaches: every folder on the way has ``__init__.py``."""
    if path.is_symlink() or not path.is_file():
        return False
    return all(
        (parent / "__init__.py").is_file()
        for parent in [path.parent, *path.parent.parents]
        if parent.is_relative_to(folder)
    )


def _source(path: Path) -> str | None:
    """The module's text, or None when it cannot be read or is too large to be a plugin."""
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _declared(node: ast.AST, default_id: str, path: Path) -> DeclaredPlugin | None:
    """The plugin that ``node`` declares, if it is a class with a plugin decorator."""
    if not isinstance(node, ast.ClassDef):
        return None
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call):
            name = _called_name(decorator.func)
            if name in PLUGIN_DECORATORS:
                keywords = {k.arg: k.value for k in decorator.keywords if k.arg is not None}
                plugin_id = _literal(keywords.get("id")) or default_id
                return DeclaredPlugin(plugin_id, name, _literal(keywords.get("paper")), path, node.lineno)
    return None


def _called_name(func: ast.expr) -> str | None:
    """``attack`` for ``@attack(...)`` and ``@eval.attack(...)``."""
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _literal(value: ast.expr | None) -> str | None:
    """A string constant's value, else None (a computed id or paper is left to the importing check)."""
    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
