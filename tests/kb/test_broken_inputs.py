"""Every broken input gives a located diagnostic, never a traceback, and writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from tests.conftest import DATA, PaperWriter

CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "broken_papers.yaml").read_text(encoding="utf-8"))["cases"]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_broken_paper_is_reported_at_its_line(case: dict[str, Any], kb_root: Path, write_paper: PaperWriter) -> None:
    write_paper("doe2024example", case["text"])
    before = _snapshot(kb_root)
    report = validate(Project(kb_root))
    assert not report.ok
    rendered = [d.render() for d in report.diagnostics]
    matching = [
        d
        for d in report.diagnostics
        if d.path == "papers/doe2024example.yaml" and case["message"] in d.message and d.field == case["field"]
    ]
    assert matching, f"expected {case['field']!r}: {case['message']!r} in {rendered}"
    assert matching[0].line == case["line"], rendered
    assert _snapshot(kb_root) == before


def _write_bytes(kb_root: Path, name: str, data: bytes) -> Path:
    path = kb_root / "papers" / name
    path.write_bytes(data)
    return path


def test_empty_file(kb_root: Path) -> None:
    _write_bytes(kb_root, "empty2024file.yaml", b"  \n")
    assert "papers/empty2024file.yaml:1: file is empty" in [d.render() for d in validate(Project(kb_root)).diagnostics]


def test_non_utf8_file(kb_root: Path) -> None:
    _write_bytes(kb_root, "latin2024file.yaml", "title: café\n".encode("latin-1"))
    messages = [d.render() for d in validate(Project(kb_root)).diagnostics]
    assert any("not valid UTF-8" in m and m.startswith("papers/latin2024file.yaml") for m in messages)


def test_huge_file(kb_root: Path) -> None:
    _write_bytes(kb_root, "huge2024file.yaml", b"notes: '" + b"x" * (1 << 20) + b"'\n")
    messages = [d.render() for d in validate(Project(kb_root)).diagnostics]
    assert any("file is too large" in m for m in messages)


def test_directory_where_a_file_should_be(kb_root: Path) -> None:
    (kb_root / "papers" / "folder2024paper.yaml").mkdir()
    messages = [d.render() for d in validate(Project(kb_root)).diagnostics]
    assert "papers/folder2024paper.yaml: is a directory, expected a YAML file" in messages


def test_wrong_extension(kb_root: Path) -> None:
    _write_bytes(kb_root, "other2024paper.yml", b"id: other2024paper\n")
    messages = [d.render() for d in validate(Project(kb_root)).diagnostics]
    assert any("rename it to other2024paper.yaml" in m for m in messages)


def test_alias_bomb_is_refused_quickly(kb_root: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    _write_bytes(kb_root, "bomb2024paper.yaml", ("\n".join(lines) + "\n").encode())
    messages = [d.render() for d in validate(Project(kb_root)).diagnostics]
    assert "papers/bomb2024paper.yaml:1: anchors and aliases (&name / *name) are not allowed in lvlmkb data" in messages


def test_duplicate_arxiv_and_title(kb_root: Path, write_paper: PaperWriter) -> None:
    text = (kb_root / "papers" / "doe2024example.yaml").read_text()
    write_paper("doe2024copy", text.replace("id: doe2024example", "id: doe2024copy"))
    messages = [d.render() for d in validate(Project(kb_root)).diagnostics]
    assert "papers/doe2024example.yaml:10: arxiv: arXiv 2403.01234 is also papers/doe2024copy.yaml" in messages
    assert any("same title as papers/doe2024copy.yaml" in m for m in messages)


def test_extends_cycle(kb_root: Path, write_paper: PaperWriter) -> None:
    text = (kb_root / "papers" / "doe2024example.yaml").read_text()
    write_paper("doe2024example", text + "relations:\n  extends: [roe2024other]\n")
    other = text.replace("doe2024example", "roe2024other").replace("2403.01234", "2403.05678")
    write_paper("roe2024other", other.replace("An Example", "Another") + "relations:\n  extends: [doe2024example]\n")
    messages = [d.message for d in validate(Project(kb_root)).diagnostics]
    assert any(m.startswith("extends cycle:") for m in messages)


def test_all_problems_reported_at_once(kb_root: Path, write_paper: PaperWriter) -> None:
    write_paper("bad2024one", "id: bad2024one\n")
    write_paper("bad2024two", "id: [\n")
    diagnostics = validate(Project(kb_root)).diagnostics
    assert {d.path for d in diagnostics} == {"papers/bad2024one.yaml", "papers/bad2024two.yaml"}
    assert len([d for d in diagnostics if d.path == "papers/bad2024one.yaml"]) >= 5
