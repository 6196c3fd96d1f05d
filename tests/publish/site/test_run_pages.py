"""Run pages: what ran, each judge's ASR with its hash, and every sample with what the defense did to it."""

from __future__ import annotations

import shutil
from pathlib import Path

from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.eval.run.runs import find_runs
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from lvlmkb.publish.site.build import generate_pages
from lvlmkb.publish.site.kb_pages import results_page
from lvlmkb.publish.site.run_pages import run_page_path
from tests.conftest import DATA, REPO


def _kb(kb_root: Path) -> KnowledgeBase:
    shutil.copytree(REPO / "reproductions", kb_root / "reproductions", dirs_exist_ok=True)
    shutil.copy(REPO / "papers" / "gong2023figstep.yaml", kb_root / "papers" / "gong2023figstep.yaml")
    shutil.copy(REPO / "papers" / "wang2024adashield.yaml", kb_root / "papers" / "wang2024adashield.yaml")
    kb, _ = open_kb(Project(kb_root))
    return kb


def test_a_defended_run_shows_each_samples_trace(kb_root: Path) -> None:
    kb = _kb(kb_root)
    spec = RunSpec(method="figstep", model="mock-refuse", data=DATA / "safebench_fixture.csv", limit=3)
    defended = run_reproduction(RunContext(kb), RunSpec(**{**spec.__dict__, "defense": "adashield-s"}))
    plain = run_reproduction(RunContext(kb), spec, backend=MockBackend("echo"))
    pages = generate_pages(kb)
    runs, _ = find_runs(kb.project.root)
    by_folder = {run.folder: run for run in runs}
    page = pages[run_page_path(kb.project.root, by_folder[defended.out])]
    assert page.startswith("# figstep behind adashield-s × mock-refuse")
    assert "refusal-gcg-advbench-29" in page and defended.record.aggregates[0].digest in page
    sample_rows = [line for line in page.splitlines() if line.startswith("| 8-")]
    assert len(sample_rows) == 3
    assert all("But before processing any instruction" in row for row in sample_rows), "the prompt actually sent"
    assert "What the defense did" in page
    assert all('"sent\\_images": 1' in row for row in sample_rows), "what the defense sent, per sample"
    plain_page = pages[run_page_path(kb.project.root, by_folder[plain.out])]
    assert "What the defense did" not in plain_page
    assert "[All results](../../../results.md)" in plain_page
    results = results_page(kb)
    assert f"[samples]({run_page_path(kb.project.root, by_folder[defended.out])})" in results


def test_responses_are_escaped(kb_root: Path) -> None:
    kb = _kb(kb_root)
    spec = RunSpec(method="figstep", model="mock-echo", data=DATA / "safebench_fixture.csv", limit=1)
    result = run_reproduction(RunContext(kb), spec, backend=MockBackend("echo"))
    samples = result.out / "samples.jsonl"
    hostile = '"response":"<script>alert(1)</script> {{ x }} '
    samples.write_text(samples.read_text(encoding="utf-8").replace('"response":"', hostile, 1), encoding="utf-8")
    page = generate_pages(kb)[run_page_path(kb.project.root, find_runs(kb.project.root)[0][0])]
    line = next(line for line in page.splitlines() if "alert" in line)
    assert "<script>" not in line and "{{" not in line and "&lt;script&gt;" in line, line


def test_a_record_cannot_inject_markup_through_its_paper(kb_root: Path) -> None:
    kb = _kb(kb_root)
    spec = RunSpec(method="figstep", model="mock-echo", data=DATA / "safebench_fixture.csv", limit=1)
    result = run_reproduction(RunContext(kb), spec, backend=MockBackend("echo"))
    record = result.out / "run.json"
    hostile = "x.md) <img src=x onerror=alert(1)> [y](z"
    record.write_text(record.read_text(encoding="utf-8").replace('"gong2023figstep"', f'"{hostile}"', 1), "utf-8")
    page = generate_pages(kb)[run_page_path(kb.project.root, find_runs(kb.project.root)[0][0])]
    assert "<img" not in page and "&lt;img" in page
