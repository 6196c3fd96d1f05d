"""``lvlmkb reproduce survey-janus-pro``: every part runs and lines up with the survey's table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from lvlmkb.eval.run.composite import SURVEY_JANUS_PRO, run_composite
from lvlmkb.eval.run.runner import RunSpec
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from tests.conftest import DATA, REPO

pytest.importorskip("PIL")


def test_survey_composite_on_a_mock_model(kb_root: Path) -> None:
    shutil.copytree(REPO / "reproductions", kb_root / "reproductions", dirs_exist_ok=True)
    for paper_id in ("wang2024siuo", "liu2023mmsafetybench"):
        paper = yaml.safe_load((REPO / "papers" / f"{paper_id}.yaml").read_text())
        paper["relations"] = {}
        (kb_root / "papers" / f"{paper_id}.yaml").write_text(yaml.safe_dump(paper))
    survey = yaml.safe_load((REPO / "papers" / "ye2025survey.yaml").read_text())
    for result in survey["reported_results"]:
        result["model"] = "mock-refuse"  # the survey's Janus-Pro numbers, compared with a scripted model
    (kb_root / "papers" / "ye2025survey.yaml").write_text(yaml.safe_dump(survey))
    kb, diagnostics = open_kb(Project(kb_root))
    assert not [d for d in diagnostics if d.severity == "error"]
    data = {name: DATA / "datasets" / name for name in ("siuo-openqa", "siuo-mcqa", "mm-safetybench")}
    rows = run_composite(kb, SURVEY_JANUS_PRO, RunSpec(method="", model="mock-refuse"), data)
    by_setting = {(r.benchmark, r.setting): r for r in rows}
    openqa = by_setting[("SIUO", "OpenQA")]
    assert openqa.paper == 84.43 and openqa.judge == "refusal-gcg-advbench-29" and openqa.ours == 0.0
    assert by_setting[("SIUO", "MCQA")].judge == "siuo-mcqa-choice"
    illegal = by_setting[("MM-SafetyBench", "SD / 01-Illegal Activity")]
    assert illegal.paper is not None and illegal.delta == -illegal.paper
    assert ("MM-SafetyBench", "SD+TYPO / Average") in by_setting
    assert len(list((kb_root / "runs" / "siuo" / "mock-refuse").glob("siuo-mcqa-*/run.json"))) == 1
    # SD, TYPO and SD+TYPO: one folder and one record each, none replacing another
    parts = sorted((kb_root / "runs" / "mm-safetybench" / "mock-refuse").glob("mm-safetybench-*/run.json"))
    variants = {json.loads(p.read_text())["config"]["variant"] for p in parts}
    assert len(parts) == 3 and len(variants) == 3


@pytest.fixture
def tiny_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytest.importorskip("torch").set_num_threads(1)
    pytest.importorskip("transformers")
    monkeypatch.setenv("LVLMKB_CACHE", str(tmp_path / "cache"))
    return tmp_path


def _tiny_kb(kb_root: Path, model: str) -> Path:
    shutil.copytree(REPO / "reproductions", kb_root / "reproductions", dirs_exist_ok=True)
    for paper_id in ("wang2024siuo", "liu2023mmsafetybench", "gong2023figstep", "wang2024adashield"):
        paper = yaml.safe_load((REPO / "papers" / f"{paper_id}.yaml").read_text())
        paper["relations"] = {}
        (kb_root / "papers" / f"{paper_id}.yaml").write_text(yaml.safe_dump(paper))
    survey = yaml.safe_load((REPO / "papers" / "ye2025survey.yaml").read_text())
    for result in survey["reported_results"]:
        result["model"] = model
    (kb_root / "papers" / "ye2025survey.yaml").write_text(yaml.safe_dump(survey))
    return kb_root


def test_survey_composite_on_tiny_llava(kb_root: Path, tiny_cache: Path) -> None:
    from lvlmkb.eval.backends.base import GenerationSettings

    kb, _ = open_kb(Project(_tiny_kb(kb_root, "tiny-llava")))
    data = {name: DATA / "datasets" / name for name in ("siuo-openqa", "siuo-mcqa", "mm-safetybench")}
    base = RunSpec(method="", model="tiny-llava", limit=2, settings=GenerationSettings(max_new_tokens=4))
    rows = run_composite(kb, SURVEY_JANUS_PRO, base, data)
    assert {r.benchmark for r in rows} == {"SIUO", "MM-SafetyBench"}
    assert all(r.paper is not None for r in rows if r.benchmark == "SIUO")
    records = list((kb_root / "runs" / "mm-safetybench" / "tiny-llava").glob("mm-safetybench-limit2-*/run.json"))
    assert len(records) == 3
    assert all('"checkpoint": "lvlmkb-tiny/llava"' in record.read_text() for record in records)


def test_matrix_on_tiny_llava(kb_root: Path, tiny_cache: Path) -> None:
    from lvlmkb.eval.backends.base import GenerationSettings
    from lvlmkb.eval.run.matrix import matrix_table, run_matrix

    kb, _ = open_kb(Project(_tiny_kb(kb_root, "tiny-llava")))
    base = RunSpec(method="", model="", limit=1, settings=GenerationSettings(max_new_tokens=4))
    cells = run_matrix(
        kb,
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
