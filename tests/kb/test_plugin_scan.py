"""The static scan of ``reproductions/``: plugin ids and papers read from the source, never imported."""

from __future__ import annotations

from pathlib import Path

from lvlmkb.eval.registry import load_plugins
from lvlmkb.kb.plugin_scan import DeclaredPlugin, declared_plugins, module_name
from tests.conftest import REPO

FOLDER_PLUGIN = """import torch  # never imported by the scan

from lvlmkb.eval import attack, defense


@attack(paper="x2024a", version=1, dataset="d", judges=[])
class Role: ...


@defense(paper="x2024a", version=1, id="x-shield")
class Named: ...


class NotAPlugin: ...
"""


def test_ids_follow_the_registry_rule(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "x_paper").mkdir()
    (tmp_path / "x_paper" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "x_paper" / "attack.py").write_text(FOLDER_PLUGIN, encoding="utf-8")
    (tmp_path / "x_paper" / "extra.py").write_text('@eval.benchmark(paper="x2024a")\nclass E: ...\n', "utf-8")
    (tmp_path / "x_paper" / "_helper.py").write_text('@attack(paper="z")\nclass H: ...\n', encoding="utf-8")
    (tmp_path / "broken.py").write_text("@attack(\n", encoding="utf-8")
    (tmp_path / "no_package").mkdir()  # no __init__.py: the package import never reaches it
    (tmp_path / "no_package" / "attack.py").write_text('@attack(paper="z")\nclass N: ...\n', encoding="utf-8")
    (tmp_path / "x_paper" / "linked.py").symlink_to(tmp_path / "x_paper" / "extra.py")
    (tmp_path / "x_paper" / "folder.py").mkdir()
    found = declared_plugins(tmp_path)
    assert [(p.id, p.kind, p.paper, p.path.name, p.line) for p in found] == [
        ("x-paper", "attack", "x2024a", "attack.py", 7),
        ("x-shield", "defense", "x2024a", "attack.py", 11),
        ("x-paper-extra", "benchmark", "x2024a", "extra.py", 2),
    ]
    assert declared_plugins(tmp_path / "missing") == []


def test_a_computed_id_or_paper_is_left_to_the_importing_check(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "c.py").write_text('@attack(paper=PAPER, id="-".join("ab"))\nclass C: ...\n', encoding="utf-8")
    assert declared_plugins(tmp_path) == [DeclaredPlugin("c", "attack", None, tmp_path / "c.py", 2)]


def test_module_names_are_the_import_names(tmp_path: Path) -> None:
    assert module_name(tmp_path, tmp_path / "figstep" / "pro.py") == "reproductions.figstep.pro"


def test_the_scan_finds_exactly_what_the_checkout_registers() -> None:
    registered = load_plugins(REPO / "reproductions")
    scanned = {p.id: p for p in declared_plugins(REPO / "reproductions")}
    assert sorted(scanned) == sorted(registered)
    assert {i: p.paper for i, p in scanned.items()} == {i: cls.paper for i, cls in registered.items()}
    assert {i: p.kind for i, p in scanned.items()} == {i: cls.kind for i, cls in registered.items()}
