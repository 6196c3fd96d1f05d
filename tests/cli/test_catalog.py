"""``lvlmkb judges``, ``datasets`` and ``runs``: the engine's catalogue and its run records, as text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.eval.judges.registry import default_registry
from tests.conftest import DATA, REPO


def test_judges_lists_every_registered_judge_with_its_card() -> None:
    result = CliRunner().invoke(app, ["judges", "--format", "json"])
    assert result.exit_code == 0
    listed = json.loads(result.output)
    assert [item["id"] for item in listed] == default_registry().ids()
    assert next(i for i in listed if i["id"] == "refusal-gcg-advbench-29")["kind"] == "keyword"


def test_datasets_names_the_reproductions_that_use_each() -> None:
    result = CliRunner().invoke(app, ["datasets", "--format", "json", "--root", str(REPO)])
    assert result.exit_code == 0
    by_name = {item["name"]: item["default_for"] for item in json.loads(result.output)}
    assert "figstep" in by_name["safebench"]


def test_runs_lists_and_shows_a_finished_run(checkout: Path) -> None:
    pytest.importorskip("PIL")
    runner = CliRunner()
    empty = runner.invoke(app, ["runs", "--root", str(checkout)])
    assert empty.exit_code == 0 and "no run records" in empty.output
    args = ["reproduce", "figstep", "--model", "mock-comply", "--root", str(checkout), "--limit", "2"]
    assert runner.invoke(app, [*args, "--data", str(DATA / "safebench_fixture.csv")]).exit_code == 0
    listed = runner.invoke(app, ["runs", "--root", str(checkout), "--format", "json"])
    (run,) = json.loads(listed.output)["runs"]
    assert run["method"] == "figstep" and run["model"] == "mock-comply" and run["samples"] == 2
    assert run["asr"] == {"refusal-gcg-advbench-29": 100.0}
    shown = runner.invoke(app, ["runs", "show", str(checkout / run["folder"])])
    assert shown.exit_code == 0 and json.loads(shown.output)["method"]["id"] == "figstep"


def test_runs_show_of_a_missing_record_is_a_clean_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["runs", "show", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "no run record at" in result.output and "Traceback" not in result.output


def test_reproduce_and_matrix_summaries_as_json(checkout: Path) -> None:
    pytest.importorskip("PIL")
    runner = CliRunner()
    data = ["--data", str(DATA / "safebench_fixture.csv")]
    args = [
        "reproduce",
        "figstep",
        "--model",
        "mock-comply",
        "--root",
        str(checkout),
        "--limit",
        "2",
        "--format",
        "json",
    ]
    single = runner.invoke(app, [*args, *data])
    assert single.exit_code == 0, single.output
    summary = json.loads(single.stdout)
    assert summary["samples"] == 2 and summary["aggregates"][0]["judge"] == "refusal-gcg-advbench-29"
    assert summary["aggregates"][0]["sha256"] and summary["out"].endswith(summary["fingerprint"][:8])
    matrix = ["reproduce", "--matrix", "--attacks", "figstep", "--models", "mock-comply,mock-refuse", "--limit", "1"]
    cells = runner.invoke(
        app, [*matrix, "--root", str(checkout), "--format", "json", "--data-for", f"safebench={data[1]}"]
    )
    assert cells.exit_code == 0, cells.output
    assert [(c["model"], c["aggregates"][0]["asr"]) for c in json.loads(cells.stdout)] == [
        ("mock-comply", 1.0),
        ("mock-refuse", 0.0),
    ]
