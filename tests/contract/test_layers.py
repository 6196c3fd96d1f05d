"""The import graph is one-way: ground floor ← kb ← eval ← publish ← cli, and reproductions never reach up.

Every ``import`` counts, including those inside functions (lazy imports are still dependencies).
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "kb" / "lvlmkb"
LAYERS = ("kb", "eval", "publish", "cli")
ALLOWED: dict[str, set[str]] = {
    "ground": {"ground"},
    "kb": {"ground", "kb"},
    "eval": {"ground", "kb", "eval"},
    "publish": {"ground", "kb", "eval", "publish"},
    "cli": {"ground", "kb", "eval", "publish", "cli"},
    "reproductions": {"ground", "kb", "eval", "reproductions"},
}
FACADE = {"lvlmkb", "lvlmkb.__init__", "lvlmkb.__main__"}
"""The top-level package re-exports and starts the CLI: it sits above every layer."""


def layer_of(module: str) -> str:
    """The layer a dotted module name belongs to."""
    parts = module.split(".")
    if parts[0] == "reproductions":
        return "reproductions"
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "ground"


def imported_modules(path: Path) -> Iterator[tuple[str, int]]:
    """Every absolute lvlmkb or reproductions module that ``path`` imports, with its line."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "lvlmkb":
                names += [f"lvlmkb.{alias.name}" for alias in node.names if alias.name != "__version__"]
        else:
            continue
        for name in names:
            if name.split(".")[0] in {"lvlmkb", "reproductions"} and name != "lvlmkb":
                yield name, node.lineno


def module_files() -> list[tuple[Path, str]]:
    """Every engine and plugin source file with its dotted module name."""
    files = [(p, ".".join(p.relative_to(REPO / "kb").with_suffix("").parts)) for p in PACKAGE.rglob("*.py")]
    files += [(p, ".".join(p.relative_to(REPO).with_suffix("").parts)) for p in (REPO / "reproductions").rglob("*.py")]
    return [(path, module) for path, module in files if module not in FACADE]


def violations() -> list[str]:
    """``path:line: layer imports module`` for every import that points up the graph."""
    found = []
    for path, module in module_files():
        source = layer_of(module)
        for target, line in imported_modules(path):
            if layer_of(target) not in ALLOWED[source]:
                found.append(f"{path.relative_to(REPO)}:{line}: {source} imports {target}")
    return found


def test_imports_only_point_down() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("lvlmkb.errors", "ground"),
        ("lvlmkb.kb.index.reader", "kb"),
        ("lvlmkb.eval.run.runner", "eval"),
        ("lvlmkb.publish.site.build", "publish"),
        ("lvlmkb.cli.common", "cli"),
        ("reproductions.figstep.attack", "reproductions"),
    ],
)
def test_layer_of(module: str, expected: str) -> None:
    assert layer_of(module) == expected


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    source = tmp_path / "bad.py"
    source.write_text("def f() -> None:\n    from lvlmkb.cli.common import handle_errors\n")
    assert [(name, line) for name, line in imported_modules(source)] == [("lvlmkb.cli.common", 2)]
    assert layer_of("lvlmkb.cli.common") not in ALLOWED["kb"]


def test_the_plugin_api_resolves_every_name_it_exports() -> None:
    import lvlmkb.eval as api

    assert sorted(api._EXPORTS) == sorted(api.__all__)
    for name in api.__all__:
        assert getattr(api, name) is getattr(importlib.import_module(api._EXPORTS[name]), name)
    with pytest.raises(AttributeError):
        _ = api.not_exported


def test_importing_the_plugin_api_loads_nothing_heavy() -> None:
    code = "import sys, lvlmkb.eval; print(sorted(m for m in sys.modules if m.startswith(('torch', 'lvlmkb.eval.'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "[]"


def test_plugins_take_exported_names_from_the_plugin_api() -> None:
    import lvlmkb.eval as api

    found = []
    for path in sorted((REPO / "reproductions").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module != "lvlmkb.eval":
                found += [
                    f"{path.name}:{node.lineno}: {a.name}"
                    for a in node.names
                    if api._EXPORTS.get(a.name) == node.module
                ]
    assert found == []


def test_plugins_import_lvlmkb_only_through_the_plugin_api() -> None:
    found = {
        (path.relative_to(REPO).as_posix(), module)
        for path in sorted((REPO / "reproductions").rglob("*.py"))
        for module, _line in imported_modules(path)
        if module.startswith("lvlmkb") and module != "lvlmkb.eval"
    }
    assert found == set()


@pytest.mark.parametrize("module", ["runner", "matrix", "suite"])
def test_runs_need_no_knowledge_base(module: str) -> None:
    """A run reads the checkout through its RunContext (plugins, models, published numbers), not the KB object."""
    path = REPO / "kb" / "lvlmkb" / "eval" / "run" / f"{module}.py"
    assert [name for name, _line in imported_modules(path) if name.startswith("lvlmkb.kb")] == []


def test_no_exported_name_is_also_a_submodule() -> None:
    """Importing ``lvlmkb.eval.X`` binds ``X`` on the package, which would hide an exported ``X``."""
    import pkgutil

    import lvlmkb.eval as api

    submodules = {info.name for info in pkgutil.iter_modules(api.__path__)}
    assert sorted(set(api.__all__) & submodules) == []


def _is_main_guard(node: ast.Compare) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if len(node.comparators) != 1:
        return False
    sides = [node.left, node.comparators[0]]
    named = any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides)
    return named and any(isinstance(side, ast.Constant) and side.value == "__main__" for side in sides)


def script_entry_points(path: Path) -> list[str]:
    """``path:line: what`` for every ``argparse`` import, top-level ``main`` and ``__main__`` guard in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(module.split(".")[0] == "argparse" for module in modules):
                found.append(f"{path.name}:{node.lineno}: imports argparse")
        elif isinstance(node, ast.Compare) and _is_main_guard(node):
            found.append(f"{path.name}:{node.lineno}: if __name__ == '__main__'")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "main":
            found.append(f"{path.name}:{node.lineno}: defines main")
    return found


def test_plugins_have_no_command_line_of_their_own() -> None:
    """Offline steps are ``@stage`` methods run by ``lvlmkb stage``: no plugin parses arguments or runs as a script."""
    found = [hit for path in sorted((REPO / "reproductions").rglob("*.py")) for hit in script_entry_points(path)]
    assert found == []


def test_a_script_entry_point_is_found(tmp_path: Path) -> None:
    source = tmp_path / "script.py"
    source.write_text(
        "import argparse\n\n\ndef main() -> int:\n    return 0\n\n\nif '__main__' == __name__:\n    main()\n"
    )
    assert script_entry_points(source) == [
        "script.py:1: imports argparse",
        "script.py:8: if __name__ == '__main__'",
        "script.py:4: defines main",
    ]
