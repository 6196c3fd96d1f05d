"""``papers/excluded.yaml``: read by validate, checked against the papers, errors located."""

from __future__ import annotations

from pathlib import Path

from lvlmkb.kb.validate import validate
from lvlmkb.project import Project

GOOD = """\
excluded:
- title: A Text-Only Jailbreak
  arxiv: '2401.00001'
  reason: Text-only LLM jailbreak; no image input.
  listed_in: [Awesome-LM-SSP]
- title: A Blog Post
  url: https://example.org/post
  reason: A blog post, not a research paper.
"""


def write(kb_root: Path, text: str) -> None:
    (kb_root / "papers" / "excluded.yaml").write_text(text, encoding="utf-8")


def rendered(kb_root: Path) -> list[str]:
    return [d.render() for d in validate(Project(kb_root)).diagnostics]


def test_a_good_file_loads(kb_root: Path) -> None:
    write(kb_root, GOOD)
    report = validate(Project(kb_root))
    assert report.ok and [e.title for e in report.kb.excluded] == ["A Text-Only Jailbreak", "A Blog Post"]
    assert len(report.kb.papers) == 1


def test_an_excluded_paper_that_is_in_the_kb_is_an_error(kb_root: Path) -> None:
    write(kb_root, GOOD + "- title: An Example Typographic Attack\n  reason: Left out by mistake in this test.\n")
    assert "papers/excluded.yaml:9: excluded.2.title: excluded, yet in the KB as papers/doe2024example.yaml" in (
        rendered(kb_root)
    )


def test_an_entry_listed_twice_is_an_error(kb_root: Path) -> None:
    write(kb_root, GOOD + "- title: Another Title\n  arxiv: '2401.00001'\n  reason: The same paper again here.\n")
    assert "papers/excluded.yaml:9: excluded.2.title: listed twice (also entry 1)" in rendered(kb_root)


def test_schema_errors_are_located(kb_root: Path) -> None:
    write(kb_root, "excluded:\n- title: X\n  reason: R\n  why: typo\n- title: Y\n  url: ftp://x\n  reason: R\n")
    found = rendered(kb_root)
    assert any(line.startswith("papers/excluded.yaml:4: excluded.0.why: unknown key") for line in found)
    assert any(line.startswith("papers/excluded.yaml:6: excluded.1.url:") and "http(s)" in line for line in found)


def test_a_missing_reason_is_an_error(kb_root: Path) -> None:
    write(kb_root, "excluded:\n- title: X\n")
    assert "papers/excluded.yaml:2: excluded.0.reason: required field is missing" in rendered(kb_root)
