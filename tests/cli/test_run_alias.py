"""``lvlmkb run`` is ``lvlmkb reproduce`` under the shorter name of the v2 command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from tests.conftest import DATA


def test_run_takes_the_options_of_reproduce() -> None:
    run, reproduce = (CliRunner().invoke(app, [name, "--help"]) for name in ("run", "reproduce"))
    assert run.exit_code == reproduce.exit_code == 0
    assert run.output.split("Options:")[1] == reproduce.output.split("Options:")[1]


def test_run_runs_a_reproduction(checkout: Path) -> None:
    pytest.importorskip("PIL")
    args = ["run", "figstep", "--model", "mock-comply", "--root", str(checkout), "--limit", "2"]
    result = CliRunner().invoke(app, [*args, "--data", str(DATA / "safebench_fixture.csv"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["samples"] == 2
