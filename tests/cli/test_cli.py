"""The command line: exit codes, formats, filters and the --root search."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from tests.conftest import REPO, PaperWriter


def test_validate_clean_kb_exits_0(runner: CliRunner, kb_root: Path) -> None:
    result = runner.invoke(app, ["validate", "--root", str(kb_root)])
    assert result.exit_code == 0, result.output
    assert "ok: 1 papers" in result.output


def test_validate_reports_all_problems_and_exits_1(runner: CliRunner, kb_root: Path, write_paper: PaperWriter) -> None:
    write_paper("bad2024one", "id: bad2024one\ntitle: x\n")
    write_paper("bad2024two", "id: bad2024two\nkind: attak\n")
    result = runner.invoke(app, ["validate", "--root", str(kb_root)])
    assert result.exit_code == 1
    assert "papers/bad2024one.yaml:1: year: required field is missing" in result.output
    assert "papers/bad2024two.yaml:2: kind: Input should be 'attack', 'defense' or 'evaluation'" in result.output
    assert "Traceback" not in result.output


def test_validate_json(runner: CliRunner, kb_root: Path, write_paper: PaperWriter) -> None:
    write_paper("bad2024one", "id: bad2024one\n")
    result = runner.invoke(app, ["validate", "--root", str(kb_root), "--format", "json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    assert {d["path"] for d in payload["diagnostics"]} == {"papers/bad2024one.yaml"}


def test_usage_error_exits_2(runner: CliRunner, kb_root: Path) -> None:
    assert runner.invoke(app, ["validate", "--root", str(kb_root), "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["validate", "--root", str(kb_root / "papers")]).exit_code == 2


def test_root_not_found_is_clean(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lvlmkb", "validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "", "PYTHONPATH": str(REPO / "kb")},
    )
    assert proc.returncode == 2
    assert "error: no taxonomy/ and papers/ above" in proc.stderr
    assert "hint: run inside an lvlmkb checkout or pass --root DIR" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_root_found_from_a_subfolder(kb_root: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lvlmkb", "validate"],
        cwd=kb_root / "papers",
        capture_output=True,
        text=True,
        env={"PATH": "", "PYTHONPATH": str(REPO / "kb")},
    )
    assert proc.returncode == 0, proc.stderr
    assert "ok: 1 papers" in proc.stdout


def test_list_filters_on_real_kb(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--root", str(REPO), "--category", "black-box", "--format", "json"])
    assert result.exit_code == 0, result.output
    papers = json.loads(result.stdout)
    assert papers and all(p["category"].startswith("black-box-") for p in papers)
    dates = [p.get("date") or str(p["year"]) for p in papers]  # the listing order: date, else the year
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["--kind", "defense", "--phase", "training"], lambda p: p["kind"] == "defense" and p["phase"] == "training"),
        (["--facet", "access=white-box"], lambda p: "white-box" in p["facets"]["access"]),
        (["--has-code"], lambda p: "code" in p.get("urls", {})),
        (["--no-code"], lambda p: "code" not in p.get("urls", {})),
        (["--year", "2024"], lambda p: p["year"] == 2024),
        (["--venue", "cvpr"], lambda p: "CVPR" in p["venue"]),
        (["--search", "typograph"], lambda p: "typograph" in json.dumps(p).lower()),
    ],
)
def test_list_filter_table(runner: CliRunner, args: list[str], check: object) -> None:
    result = runner.invoke(app, ["list", "--root", str(REPO), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    papers = json.loads(result.stdout)
    assert papers
    assert all(check(p) for p in papers)  # type: ignore[operator]


def test_list_bad_facet_is_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--root", str(REPO), "--facet", "access"])
    assert result.exit_code == 2
    assert "write it as FACET=VALUE" in result.output


def test_list_table_escapes_markup(runner: CliRunner, kb_root: Path, write_paper: PaperWriter) -> None:
    text = (kb_root / "papers" / "doe2024example.yaml").read_text()
    write_paper("doe2024example", text.replace("An Example Typographic Attack", "'[bold red]Boom[/] [link=x]y[/link]'"))
    result = runner.invoke(app, ["list", "--root", str(kb_root)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "[bold red]Boom[/] [link=x]y[/link]" in result.output


def test_show_with_incoming_relations(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "gong2023figstep", "--root", str(REPO), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["arxiv"] == "2311.05608"
    text = runner.invoke(app, ["show", "gong2023figstep", "--root", str(REPO)]).output
    assert "FigStep" in text and "black-box-typography" in text


def test_show_unknown_suggests(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "gong2023figstp", "--root", str(REPO)])
    assert result.exit_code == 1
    assert "did you mean gong2023figstep" in result.output


def test_stats_json_counts_add_up(runner: CliRunner) -> None:
    result = runner.invoke(app, ["stats", "--root", str(REPO), "--format", "json"])
    payload = json.loads(result.stdout)
    nodes = payload["nodes"]
    assert nodes["attack"] + nodes["defense"] + nodes["evaluation"] == payload["papers"]
    assert sum(sum(row.values()) for row in payload["years"].values()) == payload["papers"]


@pytest.mark.parametrize("fmt", ["json", "graphml"])
def test_graph_export(runner: CliRunner, fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"kb.{fmt}"
    result = runner.invoke(app, ["graph", "--root", str(REPO), "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "paper:gong2023figstep" in text and "taxonomy:black-box-typography" in text


def test_schema_check_is_fresh_in_repo(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "--root", str(REPO), "--check"])
    assert result.exit_code == 0, result.output


def test_schema_writes_and_detects_staleness(runner: CliRunner, kb_root: Path) -> None:
    assert runner.invoke(app, ["schema", "--root", str(kb_root), "--check"]).exit_code == 1
    assert runner.invoke(app, ["schema", "--root", str(kb_root)]).exit_code == 0
    assert runner.invoke(app, ["schema", "--root", str(kb_root), "--check"]).exit_code == 0
    schema = json.loads((kb_root / "papers" / "paper.schema.json").read_text())
    assert schema["additionalProperties"] is False
