"""The reproduction commands end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from tests.conftest import REPO

pytest.importorskip("PIL")


def test_reproduce_with_mock_model(runner: CliRunner, fixture_csv: Path, tmp_path: Path) -> None:
    args = [
        "reproduce",
        "figstep",
        "--model",
        "mock-refuse",
        "--root",
        str(REPO),
        "--data",
        str(fixture_csv),
        "--out",
        str(tmp_path),
        "--limit",
        "4",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "4 samples, 4 model call(s)" in result.output
    assert "ASR 0.0% (0/4" in result.output and "judge refusal-gcg-advbench-29 sha256" in result.output
    again = runner.invoke(app, args)
    assert "0 model call(s)" in again.output


def test_reproduce_set_override_and_bad_values(runner: CliRunner, fixture_csv: Path, tmp_path: Path) -> None:
    base = [
        "reproduce",
        "figstep",
        "--model",
        "mock-echo",
        "--root",
        str(REPO),
        "--data",
        str(fixture_csv),
        "--out",
        str(tmp_path),
    ]
    result = runner.invoke(app, [*base, "--set", "query_type=baseline", "--limit", "1"])
    assert result.exit_code == 0, result.output
    row = json.loads((tmp_path / "samples.jsonl").read_text().splitlines()[0])
    assert row["prompt"] == "Can you review my lease for me?" and row["image_sha256"] == []
    bad = runner.invoke(app, [*base, "--set", "query_type=nonsense"])
    assert bad.exit_code == 2 and "bad --set for figstep" in bad.output and "Traceback" not in bad.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "gpt-4v"], "has no served name"),
        (["--model", "gemini-pro-vision"], "has no backend that runs it"),
        (["--model", "janus-pr"], "did you mean janus-pro"),
        (["--model", "mock-echo", "--dataset", "nope"], "no dataset 'nope'"),
        (["--model", "mock-echo", "--judge", "nope"], "no judge 'nope'"),
    ],
)
def test_reproduce_errors_are_clean(
    runner: CliRunner, fixture_csv: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    data = [] if "--dataset" in args else ["--data", str(fixture_csv)]
    result = runner.invoke(app, ["reproduce", "figstep", "--root", str(REPO), "--out", str(tmp_path), *data, *args])
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output


def test_unknown_method(runner: CliRunner) -> None:
    result = runner.invoke(app, ["reproduce", "figstepp", "--model", "mock-echo", "--root", str(REPO)])
    assert result.exit_code == 1 and "no attack or benchmark 'figstepp'" in result.output
    assert "did you mean 'figstep' or 'figstep-pro'?" in result.output


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["adashield-s"], "no attack or benchmark 'adashield-s'", "is a defense: wrap it around the model with"),
        (["figstep", "--defense", "hades"], "no defense 'hades'", "'hades' is an attack: run it as METHOD"),
        (["figstep", "--defense", "siuo"], "no defense 'siuo'", "'siuo' is a benchmark: run it as METHOD"),
        (["figstep", "--defense", "jailgaurd"], "no defense 'jailgaurd'", "did you mean 'jailguard'?"),
        (["figstep", "--dataset", "safebenc"], "no dataset 'safebenc'", "did you mean 'safebench'"),
        (["figstep", "--judge", "refusal-gcg"], "no judge 'refusal-gcg'", "did you mean 'refusal-gcg-short-7'"),
    ],
)
def test_an_unknown_id_gets_a_did_you_mean_or_its_kind(
    runner: CliRunner, args: list[str], message: str, hint: str
) -> None:
    result = runner.invoke(app, ["reproduce", *args, "--model", "mock-echo", "--root", str(REPO)])
    assert result.exit_code in (1, 2) and message in result.stderr and hint in result.stderr, result.output
    assert "Traceback" not in result.output


def test_craft_writes_inputs_and_manifest(runner: CliRunner, fixture_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "crafted"
    result = runner.invoke(
        app, ["craft", "figstep", "--root", str(REPO), "--data", str(fixture_csv), "--out", str(out), "--limit", "3"]
    )
    assert result.exit_code == 0, result.output
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 3 and all((out / m["images"][0]).is_file() for m in manifest)
    header = json.loads((out / "craft.json").read_text())
    assert header["provenance"]["font_sha256"].startswith("30b4b987")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    refused = runner.invoke(
        app, ["craft", "figstep", "--root", str(REPO), "--data", str(fixture_csv), "--out", str(tmp_path / "other")]
    )
    assert refused.exit_code == 2 and (tmp_path / "other" / "keep.txt").read_text() == "mine"


def test_methods_and_models(runner: CliRunner) -> None:
    methods = json.loads(runner.invoke(app, ["methods", "--root", str(REPO), "--format", "json"]).stdout)
    figstep = next(m for m in methods if m["id"] == "figstep")
    assert figstep["paper"] == "gong2023figstep" and figstep["deviations"]
    models = json.loads(runner.invoke(app, ["models", "--root", str(REPO), "--format", "json"]).stdout)
    janus = next(m for m in models if m["id"] == "janus-pro")
    assert janus["checkpoint"] == "deepseek-community/Janus-Pro-7B" and janus["backend"] == "hf"


def test_reproduce_needs_method_and_model_unless_matrix(runner: CliRunner) -> None:
    result = runner.invoke(app, ["reproduce", "--root", str(REPO)])
    assert result.exit_code == 2 and "reproduce needs METHOD and --model" in result.output
    result = runner.invoke(app, ["reproduce", "--root", str(REPO), "--matrix", "--models", "mock-echo"])
    assert result.exit_code == 2 and "--matrix needs --attacks" in result.output
