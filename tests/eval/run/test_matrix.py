"""The matrix checks every cell before running any, and a cell that fails at run time does not stop the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from tests.conftest import DATA


def _matrix(checkout: Path, *extra: str) -> list[str]:
    return ["reproduce", "--matrix", "--root", str(checkout), "--limit", "1", *extra]


def test_every_bad_cell_is_reported_before_any_runs(checkout: Path) -> None:
    args = _matrix(checkout, "--attacks", "figstep", "--defenses", "none,adashield-z", "--models", "mock-comply,gpt-4v")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "adashield-z" in result.output and "gpt-4v" in result.output, "both problems at once"
    assert not (checkout / "runs").exists()


def test_a_cell_without_its_dataset_is_marked_and_the_others_finish(checkout: Path) -> None:
    pytest.importorskip("PIL")
    args = _matrix(checkout, "--attacks", "figstep,mm-safetybench", "--models", "mock-comply")
    args += ["--data-for", f"safebench={DATA / 'safebench_fixture.csv'}"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "pass --data-for mm-safetybench=PATH" in result.output
    lines = result.output.splitlines()
    assert any(line.startswith("figstep") and "100.0%" in line for line in lines), result.output
    assert any(line.startswith("mm-safetybench") and "not run" in line for line in lines), result.output
    assert "1 of 2 cell(s) did not run" in result.output
    assert len(list((checkout / "runs" / "figstep").rglob("run.json"))) == 1


def test_all_attacks_and_all_defenses_run_or_say_why(checkout: Path) -> None:
    """``ALL`` expands to every registered attack and to no defense plus every defense; no cell is silent."""
    pytest.importorskip("PIL")
    from lvlmkb.eval.registry import load_defenses, load_methods

    folder = checkout / "reproductions"
    attacks = sorted(i for i, cls in load_methods(folder).items() if cls.kind == "attack")
    defenses = ["none", *sorted(load_defenses(folder))]
    args = _matrix(checkout, "--attacks", "ALL", "--defenses", "ALL", "--models", "mock-refuse")
    args += ["--data-for", f"safebench={DATA / 'safebench_fixture.csv'}"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in {0, 1}, result.output
    rows = [line.split() for line in result.output.splitlines() if line.split()[:1] and line.split()[0] in attacks]
    assert {(row[0], row[1]) for row in rows} == {(a, d) for a in attacks for d in defenses}
    for row in rows:  # a cell either gives an ASR or says why it did not run
        assert row[3].endswith("%") or (row[3:5] == ["not", "run"] and len(row) > 5), row
    assert any(row[:2] == ["figstep", "none"] and row[3].endswith("%") for row in rows)
