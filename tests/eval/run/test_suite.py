"""Suites (``reproductions/suites/*.yaml``): every part runs in its own folder and lines up with the paper's table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.registry import get_suite
from lvlmkb.eval.registry import suites as load_suites
from lvlmkb.eval.run.runner import RunSpec
from lvlmkb.eval.run.suite import run_suite
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from tests.conftest import DATA, REPO

pytest.importorskip("PIL")
SURVEY_DATA = {name: DATA / "datasets" / name for name in ("siuo-openqa", "siuo-mcqa", "mm-safetybench")}


def _survey_kb(kb_root: Path, model: str) -> KnowledgeBase:
    """The KB with the benchmarks' papers and the survey, its Janus-Pro numbers attributed to ``model``."""
    shutil.copytree(REPO / "reproductions", kb_root / "reproductions", dirs_exist_ok=True)
    for paper_id in ("wang2024siuo", "liu2023mmsafetybench", "gong2023figstep", "wang2024adashield"):
        paper = yaml.safe_load((REPO / "papers" / f"{paper_id}.yaml").read_text())
        paper["relations"] = {}
        (kb_root / "papers" / f"{paper_id}.yaml").write_text(yaml.safe_dump(paper))
    survey = yaml.safe_load((REPO / "papers" / "ye2025survey.yaml").read_text())
    for result in survey["reported_results"]:
        result["model"] = model  # the survey's Janus-Pro numbers, compared with a scripted or tiny model
    (kb_root / "papers" / "ye2025survey.yaml").write_text(yaml.safe_dump(survey))
    kb, diagnostics = open_kb(Project(kb_root))
    assert not [d for d in diagnostics if d.severity == "error"]
    return kb


def test_survey_suite_on_a_mock_model(kb_root: Path) -> None:
    kb = _survey_kb(kb_root, "mock-refuse")
    suite = get_suite(kb.project.reproductions_dir, "survey-janus-pro")
    result = run_suite(RunContext(kb), suite, RunSpec(method="", model="mock-refuse"), SURVEY_DATA)
    assert not result.failed
    by_setting = {(r.benchmark, r.setting): r for r in result.rows}
    openqa = by_setting[("SIUO", "OpenQA")]
    assert openqa.paper == 84.43 and openqa.judge == "refusal-gcg-advbench-29" and openqa.ours == 0.0
    assert by_setting[("SIUO", "MCQA")].judge == "siuo-mcqa-choice"
    illegal = by_setting[("MM-SafetyBench", "SD / 01-Illegal Activity")]
    assert illegal.paper is not None and illegal.delta == -illegal.paper
    assert ("MM-SafetyBench", "SD+TYPO / Average") in by_setting
    assert len(list((kb_root / "runs" / "siuo" / "mock-refuse").glob("siuo-mcqa-*/run.json"))) == 1
    # SD, TYPO and SD+TYPO: one folder and one record each, none replacing another
    parts = sorted((kb_root / "runs" / "mm-safetybench" / "mock-refuse").glob("mm-safetybench-*/run.json"))
    variants = {json.loads(p.read_text())["method"]["config"]["variant"] for p in parts}
    assert len(parts) == 3 and len(variants) == 3


def test_a_part_without_its_data_is_marked_and_the_others_finish(kb_root: Path, runner: CliRunner) -> None:
    _survey_kb(kb_root, "mock-refuse")
    data = [f"--data-for={name}={path}" for name, path in SURVEY_DATA.items() if name != "siuo-openqa"]
    args = ["suite", "survey-janus-pro", "--model", "mock-refuse", "--root", str(kb_root), *data]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    failed = [part for part in payload["parts"] if part["out"] is None]
    assert [(part["benchmark"], part["setting"]) for part in failed] == [("SIUO", "OpenQA")]
    assert "--data-for siuo-openqa=PATH" in failed[0]["error"]
    assert {row["benchmark"] for row in payload["rows"]} == {"SIUO", "MM-SafetyBench"}
    assert ("SIUO", "OpenQA") not in {(row["benchmark"], row["setting"]) for row in payload["rows"]}
    text = runner.invoke(app, args)
    assert text.exit_code == 1 and "1 of 5 part(s) did not run" in text.stderr
    assert "SD / 01-Illegal Activity" in text.stdout and "Traceback" not in text.output


def test_every_part_is_checked_before_any_runs(kb_root: Path) -> None:
    kb = _survey_kb(kb_root, "mock-refuse")
    folder = kb_root / "reproductions" / "suites"
    suite = yaml.safe_load((folder / "survey-janus-pro.yaml").read_text())
    suite["id"] = "broken"
    suite["parts"][1]["method"] = "no-such-method"
    suite["parts"][2]["judge"] = "refusal-gcg-advbench-2"
    (folder / "broken.yaml").write_text(yaml.safe_dump(suite))
    with pytest.raises(UsageError) as caught:
        run_suite(
            RunContext(kb), get_suite(kb.project.reproductions_dir, "broken"), RunSpec(method="", model="nope"), {}
        )
    message = caught.value.message
    assert "SIUO MCQA: no attack or benchmark 'no-such-method'" in message
    assert "MM-SafetyBench SD: no judge 'refusal-gcg-advbench-2'" in message and "no model" in message.lower()
    assert not (kb_root / "runs").exists()


def test_suite_files_report_every_problem_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "suites"
    folder.mkdir()
    good = yaml.safe_load((REPO / "reproductions" / "suites" / "survey-janus-pro.yaml").read_text())
    (folder / "renamed.yaml").write_text(yaml.safe_dump(good, sort_keys=False))
    bad = {**good, "id": "bad", "parts": [{**good["parts"][0], "judges": ["x"]}]}
    (folder / "bad.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
    with pytest.raises(UsageError) as caught:
        load_suites(tmp_path)
    message = caught.value.message
    assert "suites/renamed.yaml:1: id: 'survey-janus-pro' must equal the file's stem 'renamed'" in message
    assert "suites/bad.yaml:" in message and "judges" in message
    with pytest.raises(NotFoundError, match="no suite 'x'"):
        get_suite(REPO / "reproductions", "x")


@pytest.mark.parametrize("suite_id", sorted(load_suites(REPO / "reproductions")))
def test_every_suite_of_the_checkout_can_run(suite_id: str, repo_kb: KnowledgeBase) -> None:
    from lvlmkb.eval.run.suite import preflight_suite

    suite = get_suite(REPO / "reproductions", suite_id)
    preflight_suite(RunContext(repo_kb), suite, RunSpec(method="", model="mock-refuse"))
    preflight_suite(RunContext(repo_kb), suite, RunSpec(method="", model="mock-refuse", judge_model="mock-comply"))
    assert any(r.benchmark in {p.benchmark for p in suite.parts} for r in repo_kb.papers[suite.paper].reported_results)


def test_the_suite_and_matrix_commands_show_only_their_options(runner: CliRunner) -> None:
    suite_help = runner.invoke(app, ["suite", "--help"]).stdout
    assert "--model" in suite_help and "--data-for" in suite_help and "SUITE" in suite_help
    assert not any(flag in suite_help for flag in ("--matrix", "--attacks", "--out", "--dataset ", "--judge "))
    matrix_help = runner.invoke(app, ["matrix", "--help"]).stdout
    assert "--attacks" in matrix_help and "--models" in matrix_help
    assert not any(flag in matrix_help for flag in ("--matrix", "--model ", "--out", "--defense ", "--data "))
    listing = runner.invoke(app, ["suites", "--root", str(REPO), "--format", "json"])
    assert [s["id"] for s in json.loads(listing.stdout)] == sorted(load_suites(REPO / "reproductions"))


@pytest.fixture
def tiny_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytest.importorskip("torch").set_num_threads(1)
    pytest.importorskip("transformers")
    monkeypatch.setenv("LVLMKB_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_survey_suite_on_tiny_llava(kb_root: Path, tiny_cache: Path) -> None:
    from lvlmkb.eval.backends.base import GenerationSettings

    kb = _survey_kb(kb_root, "tiny-llava")
    base = RunSpec(method="", model="tiny-llava", limit=2, settings=GenerationSettings(max_new_tokens=4))
    rows = run_suite(
        RunContext(kb), get_suite(kb.project.reproductions_dir, "survey-janus-pro"), base, SURVEY_DATA
    ).rows
    assert {r.benchmark for r in rows} == {"SIUO", "MM-SafetyBench"}
    assert all(r.paper is not None for r in rows if r.benchmark == "SIUO")
    records = list((kb_root / "runs" / "mm-safetybench" / "tiny-llava").glob("mm-safetybench-limit2-*/run.json"))
    assert len(records) == 3
    assert all('"checkpoint": "lvlmkb-tiny/llava"' in record.read_text() for record in records)


def test_matrix_on_tiny_llava(kb_root: Path, tiny_cache: Path) -> None:
    from lvlmkb.eval.backends.base import GenerationSettings
    from lvlmkb.eval.run.matrix import matrix_table, run_matrix

    kb = _survey_kb(kb_root, "tiny-llava")
    base = RunSpec(method="", model="", limit=1, settings=GenerationSettings(max_new_tokens=4))
    cells = run_matrix(
        RunContext(kb),
        base,
        ["figstep", "mm-safetybench"],
        ["none", "adashield-s"],
        ["tiny-llava"],
        {"safebench": DATA / "safebench_fixture.csv", "mm-safetybench": DATA / "datasets" / "mm-safetybench"},
    )
    assert [row[:3] for row in matrix_table(cells)] == [
        ["figstep", "none", "tiny-llava"],
        ["figstep", "adashield-s", "tiny-llava"],
        ["mm-safetybench", "none", "tiny-llava"],
        ["mm-safetybench", "adashield-s", "tiny-llava"],
    ]
    assert all(
        cell.result is not None
        and (cell.result.record.backend.get("backend") == "hf" or "inner" in cell.result.record.backend)
        for cell in cells
    )
