"""The taxonomy tree checks: unique ids, parents exist, no cycles, every node reachable."""

from __future__ import annotations

from pathlib import Path

from lvlmkb.kb.validate import validate
from lvlmkb.project import Project


def _messages(root: Path) -> list[str]:
    return [d.render() for d in validate(Project(root)).diagnostics]


def _add(root: Path, text: str) -> None:
    (root / "taxonomy" / "extra.yaml").write_text(text, encoding="utf-8")


NODE = "  - id: {id}\n    label: X\n    parent: {parent}\n    definition: a node added by a test case here.\n"


def test_unknown_parent(kb_root: Path) -> None:
    _add(kb_root, "nodes:\n" + NODE.format(id="orphan", parent="nowhere"))
    assert "taxonomy/extra.yaml:4: parent: unknown parent 'nowhere'" in _messages(kb_root)


def test_duplicate_node(kb_root: Path) -> None:
    _add(kb_root, "nodes:\n" + NODE.format(id="white-box", parent="attack"))
    assert any("duplicate node id 'white-box'" in m for m in _messages(kb_root))


def test_cycle_and_unreachable(kb_root: Path) -> None:
    _add(kb_root, "nodes:\n" + NODE.format(id="loop-a", parent="loop-b") + NODE.format(id="loop-b", parent="loop-a"))
    messages = _messages(kb_root)
    assert any("parent cycle:" in m for m in messages)
    assert any("loop-a" in m and "not reachable" in m for m in messages)


def test_root_without_kind(kb_root: Path) -> None:
    _add(kb_root, "nodes:\n  - id: lonely\n    label: L\n    definition: a root that declares no kind at all.\n")
    assert any("a root node must declare its kind" in m for m in _messages(kb_root))


def test_new_leaf_is_a_yaml_edit(kb_root: Path) -> None:
    _add(kb_root, "nodes:\n" + NODE.format(id="black-box-audio-injection", parent="black-box"))
    text = (kb_root / "papers" / "doe2024example.yaml").read_text()
    (kb_root / "papers" / "doe2024example.yaml").write_text(
        text.replace("black-box-typography", "black-box-audio-injection")
    )
    assert validate(Project(kb_root)).ok


def test_unknown_taxonomy_key(kb_root: Path) -> None:
    _add(kb_root, "nodes:\n  - id: x-node\n    label: X\n    parent: attack\n    defintion: typo\n")
    messages = _messages(kb_root)
    assert "taxonomy/extra.yaml:5: nodes.0.defintion: unknown key (did you mean 'definition'?)" in messages
