"""The query commands on the compiled index: same output as before, did-you-mean errors, no wrapping in pipes."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.kb.query import incoming_relations
from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from lvlmkb.publish import terminal
from tests.conftest import VALID_PAPER, PaperWriter

LONG_TITLE = "A Very Long Title " + "About Typographic Jailbreaks " * 8


def _invoke(runner: CliRunner, root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--root", str(root)])
    return result.exit_code, result.output


def test_show_and_stats_print_what_the_loaded_kb_prints(runner: CliRunner, checkout: Path) -> None:
    kb = validate(Project(checkout)).kb
    for paper in kb.sorted_papers()[:25]:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            terminal.paper_panel(kb, paper, incoming_relations(kb, paper.id))
        code, out = _invoke(runner, checkout, "show", paper.id)
        assert code == 0 and out == buffer.getvalue(), paper.id
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        terminal.stats_view(kb)
    code, out = _invoke(runner, checkout, "stats")
    assert code == 0 and out == buffer.getvalue()


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["--kind", "attacks"], "unknown kind 'attacks'", "did you mean 'attack'?"),
        (["--phase", "inferenc"], "unknown phase 'inferenc'", "did you mean 'inference'?"),
        (["--tag", "typografy"], "unknown tag 'typografy'", "did you mean 'typography'?"),
        (["--category", "black-box-typografy"], "unknown taxonomy node", "did you mean 'black-box-typography'"),
        (["--facet", "access=blackbox"], "unknown access value 'blackbox'", "did you mean 'black-box'"),
    ],
)
def test_unknown_choices_exit_2_with_did_you_mean(
    runner: CliRunner, kb_root: Path, args: list[str], message: str, hint: str
) -> None:
    for command in ("list", "export csv", "search typographic"):
        code, out = _invoke(runner, kb_root, *command.split(), *args)
        assert code == 2 and message in out and hint in out, (command, out)


def test_tags_match_in_any_case(runner: CliRunner, kb_root: Path) -> None:
    code, out = _invoke(runner, kb_root, "list", "--tag", "Typography", "--format", "json")
    assert code == 0, out
    assert [p["id"] for p in json.loads(out)] == ["doe2024example"]


def test_piped_list_never_wraps(runner: CliRunner, kb_root: Path, write_paper: PaperWriter) -> None:
    long = VALID_PAPER.replace("An Example Typographic Attack", LONG_TITLE.strip()).replace(
        "doe2024example", "doe2024long"
    )
    write_paper("doe2024long", long.replace("2403.01234", "2403.09999"))
    code, out = _invoke(runner, kb_root, "list")
    assert code == 0, out
    rows = [line for line in out.splitlines() if "doe2024long" in line]
    assert len(rows) == 1 and LONG_TITLE.strip() in rows[0]
    assert len(rows[0]) > 200
    code, out = _invoke(runner, kb_root, "search", "very long title")
    assert code == 0 and any("doe2024long" in line and LONG_TITLE.strip() in line for line in out.splitlines())


def test_list_sorts_by_citations(runner: CliRunner, kb_root: Path, write_paper: PaperWriter) -> None:
    for name, count in (("roe2024few", 3), ("roe2024many", 300)):
        text = VALID_PAPER.replace("doe2024example", name).replace("An Example", f"Another {name}")
        text = text.replace("2403.01234", f"2403.0{count:04d}")
        write_paper(name, text + f"citations: {{count: {count}, source: openalex, checked: '2026-01-05'}}\n")
    code, out = _invoke(runner, kb_root, "list", "--sort", "citations", "--format", "json")
    assert code == 0, out
    assert [p["id"] for p in json.loads(out)] == ["roe2024many", "roe2024few", "doe2024example"]
    code, out = _invoke(runner, kb_root, "list", "--sort", "cites")
    assert code == 2


def test_search_ranks_and_prints_json(runner: CliRunner, checkout: Path) -> None:
    code, out = _invoke(runner, checkout, "search", "FigStep typographic visual prompts", "--format", "json")
    assert code == 0, out
    assert json.loads(out)[0]["id"] == "gong2023figstep"
    code, out = _invoke(runner, checkout, "search", "jailbreak", "--limit", "3", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 3
    assert _invoke(runner, checkout, "search", "!!!")[0] == 2


def test_export_sqlite(runner: CliRunner, kb_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb.sqlite"
    assert _invoke(runner, kb_root, "export", "sqlite")[0] == 2
    assert _invoke(runner, kb_root, "export", "sqlite", "--out", str(out), "--kind", "attack")[0] == 2
    code, text = _invoke(runner, kb_root, "export", "sqlite", "--out", str(out))
    assert code == 0, text
    with sqlite3.connect(out) as conn:
        (record,) = conn.execute("SELECT record FROM papers").fetchone()
        assert json.loads(record)["title"] == "An Example Typographic Attack"
    code, text = _invoke(runner, kb_root, "export", "sqlite", "--out", str(out))
    assert code == 2 and "already exists" in text
    assert _invoke(runner, kb_root, "export", "sqlite", "--out", str(out), "--force")[0] == 0


def test_a_broken_checkout_still_lists_with_a_warning(
    runner: CliRunner, kb_root: Path, write_paper: PaperWriter
) -> None:
    write_paper("broken", "id: broken\ntitle: [unclosed\n")
    for _ in range(2):  # the build, then the warm index: the same warning
        code, out = _invoke(runner, kb_root, "list", "--format", "json")
        assert code == 0
        assert "warning: the knowledge base has 1 problem(s)" in out
        assert '"id": "doe2024example"' in out


def test_add_paper_reports_every_flag_problem_at_once(runner: CliRunner, kb_root: Path) -> None:
    args = ["add-paper", "--offline", "--title", "T", "--kind", "attacks", "--category", "black-box-typografy"]
    args += ["--facet", "acces=black-box", "--facet", "noequals", "--date", "2024-13", "--no-interactive"]
    code, out = _invoke(runner, kb_root, *args)
    assert code == 2
    for expected in (
        "--year, --authors must be given",
        "did you mean 'attack'?",
        "did you mean 'black-box-typography'",
        "'acces' is not a facet; did you mean 'access'?",
        "'noequals' is not FACET=VALUES",
        "no summary given",
        "'2024-13' is not YYYY-MM",
    ):
        assert expected in out, expected
    assert sorted(p.name for p in (kb_root / "papers").iterdir()) == ["doe2024example.yaml"]
