"""``lvlmkb export`` and ``lvlmkb gaps`` from the command line: outputs, --out and exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.kb.gaps import SECTIONS
from tests.conftest import REPO


@pytest.mark.parametrize("fmt", ["bibtex", "csv", "json"])
def test_export_to_stdout(runner: CliRunner, kb_root: Path, fmt: str) -> None:
    result = runner.invoke(app, ["export", fmt, "--root", str(kb_root)])
    assert result.exit_code == 0, result.output
    assert "doe2024example" in result.stdout


def test_export_filters_like_list(runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", "csv", "--root", str(REPO), "--kind", "defense", "--has-code"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["kind"] == "defense" and r["code_url"] for r in rows)
    listed = runner.invoke(app, ["list", "--root", str(REPO), "--kind", "defense", "--has-code", "--format", "json"])
    assert sorted(p["id"] for p in json.loads(listed.stdout)) == [r["id"] for r in rows]


def test_export_writes_out_and_refuses_to_overwrite(runner: CliRunner, kb_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "kb.json"
    first = runner.invoke(app, ["export", "json", "--root", str(kb_root), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert json.loads(out.read_text(encoding="utf-8"))["papers"][0]["id"] == "doe2024example"

    out.write_text("keep me", encoding="utf-8")
    again = runner.invoke(app, ["export", "bibtex", "--root", str(kb_root), "--out", str(out)])
    assert again.exit_code == 2
    assert f"error: {out} already exists" in again.output
    assert "hint: pass --force to overwrite it" in again.output
    assert "Traceback" not in again.output
    assert out.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in out.parent.iterdir()) == ["kb.json"]

    forced = runner.invoke(app, ["export", "bibtex", "--root", str(kb_root), "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_text(encoding="utf-8").startswith("@inproceedings{doe2024example,")


def test_export_out_folder_is_usage_error(runner: CliRunner, kb_root: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "csv", "--root", str(kb_root), "--out", str(tmp_path), "--force"])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["export", "xml"], 2),
        (["export"], 2),
        (["export", "csv", "--category", "no-such-node"], 2),
        (["export", "csv", "--facet", "access"], 2),
    ],
)
def test_export_exit_codes(runner: CliRunner, kb_root: Path, args: list[str], code: int) -> None:
    result = runner.invoke(app, [*args, "--root", str(kb_root)])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


def test_gaps_on_real_checkout(runner: CliRunner) -> None:
    result = runner.invoke(app, ["gaps", "--root", str(REPO)])
    assert result.exit_code == 0, result.output
    for title in SECTIONS.values():
        assert title in result.stdout
    assert result.stdout.startswith("Gaps in ")


def test_gaps_json(runner: CliRunner, kb_root: Path) -> None:
    result = runner.invoke(app, ["gaps", "--root", str(kb_root), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["papers"] == 1
    (family,) = payload["undefended_families"]
    assert (family["category"], family["attacks"]) == ("black-box-typography", ["doe2024example"])
    assert family["label"]
    assert payload["code_without_reproduction"] == ["doe2024example"]
    assert set(payload["missing"]) == {"authors", "arxiv", "targets", "code"}


def test_gaps_bad_root_is_usage_error(runner: CliRunner, kb_root: Path) -> None:
    assert runner.invoke(app, ["gaps", "--root", str(kb_root / "papers")]).exit_code == 2
