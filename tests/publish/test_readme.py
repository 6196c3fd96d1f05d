"""``lvlmkb render readme``: generated between markers, deterministic, guarded by --check."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from lvlmkb.publish.readme import END, START, paper_entry, render_paper_list
from tests.conftest import REPO, PaperWriter

HAND_WRITTEN = "# My list\n\nIntro written by hand.\n\n{start}\nold\n{end}\n\n## Footer\n\nKeep me.\n"


def _readme(root: Path) -> Path:
    path = root / "README.md"
    path.write_text(HAND_WRITTEN.format(start=START, end=END), encoding="utf-8")
    return path


def test_repository_readme_is_fresh(runner: CliRunner) -> None:
    result = runner.invoke(app, ["render", "readme", "--root", str(REPO), "--check"])
    assert result.exit_code == 0, result.output


def test_render_keeps_hand_written_parts(runner: CliRunner, kb_root: Path) -> None:
    path = _readme(kb_root)
    check = runner.invoke(app, ["render", "readme", "--root", str(kb_root), "--check"])
    assert check.exit_code == 1
    assert "README is stale: run `lvlmkb render readme`" in check.output
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN.format(start=START, end=END)
    assert runner.invoke(app, ["render", "readme", "--root", str(kb_root)]).exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# My list\n\nIntro written by hand.\n\n")
    assert text.endswith("\n\n## Footer\n\nKeep me.\n")
    assert "An Example Typographic Attack" in text and "\nold\n" not in text
    assert runner.invoke(app, ["render", "readme", "--root", str(kb_root), "--check"]).exit_code == 0


def test_missing_markers_is_a_clear_error(runner: CliRunner, kb_root: Path) -> None:
    (kb_root / "README.md").write_text("# no markers\n", encoding="utf-8")
    result = runner.invoke(app, ["render", "readme", "--root", str(kb_root)])
    assert result.exit_code == 1
    assert "README.md has no generated-list markers" in result.output
    assert (kb_root / "README.md").read_text() == "# no markers\n"


def test_render_is_deterministic_and_sorted(kb_root: Path, write_paper: PaperWriter) -> None:
    text = (kb_root / "papers" / "doe2024example.yaml").read_text()
    newer = text.replace("doe2024example", "doe2024newer").replace("2024-03-05", "2024-05-01")
    write_paper("doe2024newer", newer.replace("2403.01234", "2405.01234").replace("An Example", "A Newer"))
    kb = validate(Project(kb_root)).kb
    first, second = render_paper_list(kb), render_paper_list(kb)
    assert first == second
    assert first.index("A Newer Typographic Attack") < first.index("An Example Typographic Attack")
    assert "#### Malicious typography (2)" in first
    assert "* [Attacks (2)](#attacks-2)" in first.replace("\\", "")


def test_entry_format(kb_root: Path) -> None:
    paper = validate(Project(kb_root)).kb.papers["doe2024example"]
    entry = paper_entry(paper)
    assert entry.splitlines()[0] == (
        "* **[2024.03.05]** **[An Example Typographic Attack](https://arxiv.org/abs/2403.01234)** "
        "[![GitHub stars](https://img.shields.io/github/stars/example/attack?style=social)]"
        "(https://github.com/example/attack)"
    )
    assert entry.splitlines()[1:] == ["  * Jane Doe, John Roe", "  * \\[NeurIPS'24\\]"]
