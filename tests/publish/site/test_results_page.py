"""The results page shows reproduced runs beside the paper's number, with the judge and its hash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from lvlmkb.publish.site.kb_pages import results_page
from tests.conftest import DATA, REPO

pytest.importorskip("PIL")


def test_reproduced_run_appears_with_delta(kb_root: Path) -> None:
    shutil.copytree(REPO / "reproductions", kb_root / "reproductions", dirs_exist_ok=True)
    paper = yaml.safe_load((REPO / "papers" / "gong2023figstep.yaml").read_text())
    paper["relations"] = {}
    paper["reported_results"] = [
        {
            "model": "mock-comply",
            "benchmark": "SafeBench",
            "setting": "figstep",
            "metric": "ASR (%)",
            "value": 82.5,
            "source": "Table 1",
        }
    ]
    (kb_root / "papers" / "gong2023figstep.yaml").write_text(yaml.safe_dump(paper), encoding="utf-8")
    kb, diagnostics = open_kb(Project(kb_root))
    assert not [d for d in diagnostics if d.severity == "error"]
    spec = RunSpec(method="figstep", model="mock-comply", data=DATA / "safebench_fixture.csv", limit=4)
    result = run_reproduction(RunContext(kb), spec, backend=MockBackend("comply"))
    assert result.out.parent == kb_root / "runs" / "figstep" / "mock-comply"
    assert result.record.fingerprint is not None
    assert result.out.name == f"safebench-limit4-{result.record.fingerprint[:8]}"
    assert result.record.reported[0].value == 82.5
    page = results_page(kb)
    row = next(line for line in page.splitlines() if line.startswith("| figstep | figstep | none |"))
    assert "100.0 (51.0-100.0), n=4" in row and "| 82.5 | +17.5 |" in row
    assert "`refusal-gcg-advbench-29`" in row and result.record.aggregates[0].digest[:12] in row


def test_matrix_runs_every_cell(kb_root: Path) -> None:
    from lvlmkb.eval.run.matrix import matrix_table, run_matrix

    shutil.copytree(REPO / "reproductions", kb_root / "reproductions", dirs_exist_ok=True)
    shutil.copy(REPO / "papers" / "gong2023figstep.yaml", kb_root / "papers")
    kb, _ = open_kb(Project(kb_root))
    base = RunSpec(method="", model="", limit=2)
    cells = run_matrix(
        RunContext(kb),
        base,
        ["figstep"],
        ["none", "adashield-s"],
        ["mock-refuse", "mock-comply"],
        {"safebench": DATA / "safebench_fixture.csv"},
    )
    rows = matrix_table(cells)
    assert [r[:3] for r in rows] == [
        ["figstep", "none", "mock-refuse"],
        ["figstep", "none", "mock-comply"],
        ["figstep", "adashield-s", "mock-refuse"],
        ["figstep", "adashield-s", "mock-comply"],
    ]
    assert [r[3] for r in rows] == ["0.0% (0/2)", "100.0% (2/2)", "0.0% (0/2)", "100.0% (2/2)"]
    assert (
        len(list((kb_root / "runs" / "figstep" / "mock-comply").glob("safebench-limit2+adashield-s-*/run.json"))) == 1
    )
    page = results_page(kb)
    assert page.count("| figstep | figstep |") == 4


def test_every_judge_has_a_card() -> None:
    from lvlmkb.eval.judges.registry import default_registry
    from lvlmkb.publish.site.kb_pages import judges_page

    page = judges_page()
    sections = page.split("\n## ")[1:]
    assert len(sections) == len(default_registry().ids())
    assert all("Known failure modes" in section for section in sections)


def test_the_judges_page_shows_agreement_of_rejudged_runs(kb_root: Path) -> None:
    from lvlmkb.eval.run.rejudge import rejudge_run
    from lvlmkb.publish.site.kb_pages import judges_page

    shutil.copytree(REPO / "reproductions", kb_root / "reproductions", dirs_exist_ok=True)
    kb, _ = open_kb(Project(kb_root))
    assert "No run in `runs/` has two judges yet" in judges_page(kb)
    spec = RunSpec(method="figstep", model="mock-refuse", data=DATA / "safebench_fixture.csv", limit=4)
    result = run_reproduction(RunContext(kb), spec, backend=MockBackend("refuse"))
    rejudge_run(RunContext(kb), result.out, ["refusal-lmms-eval-21"])
    row = next(line for line in judges_page(kb).splitlines() if line.startswith("| figstep × mock-refuse"))
    assert "`refusal-gcg-advbench-29` 0.0% · `refusal-lmms-eval-21` 0.0%" in row
    assert "| undefined | 100.0% | 4 |" in row  # both judges said "refused" to every sample: κ has no chance term
