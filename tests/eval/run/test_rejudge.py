"""``lvlmkb rejudge``: other judges added to a finished run read what the run's judges read, and nothing else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.base import DatasetError
from lvlmkb.eval.run.records import read_record, read_samples
from lvlmkb.eval.run.rejudge import rejudge_run
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.conftest import REPO

FIRST, SECOND = "refusal-gcg-advbench-29", "refusal-lmms-eval-21"


def _run(kb: KnowledgeBase, out: Path, data: Path, *judges: str) -> Path:
    spec = RunSpec(method="figstep", model="mock-echo", data=data, out=out, judges=judges, limit=4)
    return run_reproduction(RunContext(kb), spec, backend=MockBackend("refuse")).out


def test_added_verdicts_equal_judging_in_the_run(repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path) -> None:
    folder = _run(repo_kb, tmp_path / "run", fixture_csv, FIRST)
    generations = (folder / "generations.jsonl").read_bytes()
    before = {row.sample_id: row.verdicts[FIRST] for row in read_samples(folder / "samples.jsonl")}
    result = rejudge_run(RunContext(repo_kb), folder, [SECOND])
    both = _run(repo_kb, tmp_path / "both", fixture_csv, FIRST, SECOND)
    assert result.added == [SECOND]
    record, reference = read_record(folder / "run.json"), read_record(both / "run.json")
    assert [a.judge for a in record.aggregates] == [FIRST, SECOND]
    assert record.aggregates[0].rejudged is None and record.aggregates[1].rejudged is not None
    assert record.aggregates[1].overall == reference.aggregates[1].overall
    assert record.aggregates[1].judge_info == reference.aggregates[1].judge_info
    rows = read_samples(folder / "samples.jsonl")
    assert {row.sample_id: row.verdicts[FIRST] for row in rows} == before, "the run's own verdicts stay"
    assert [r.verdicts for r in rows] == [r.verdicts for r in read_samples(both / "samples.jsonl")]
    assert (folder / "generations.jsonl").read_bytes() == generations, "nothing is generated"


def test_bad_requests_are_refused_before_anything_is_written(
    repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path
) -> None:
    folder = _run(repo_kb, tmp_path / "run", fixture_csv, FIRST)
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    ctx = RunContext(repo_kb)
    with pytest.raises(UsageError, match=f"already judged by {FIRST}"):
        rejudge_run(ctx, folder, [FIRST])
    with pytest.raises(UsageError, match="no judge 'refusal-lmms-eval-2'"):
        rejudge_run(ctx, folder, ["refusal-lmms-eval-2"])
    with pytest.raises(UsageError, match="needs a model"):
        rejudge_run(ctx, folder, ["llm-siuo-safety"])
    with pytest.raises(UsageError, match="at least one --judge"):
        rejudge_run(ctx, folder, [])
    with pytest.raises(NotFoundError, match="no finished run"):
        rejudge_run(ctx, tmp_path, [SECOND])
    changed = tmp_path / "changed.csv"
    changed.write_text(fixture_csv.read_text(encoding="utf-8").replace("How", "Why", 1), encoding="utf-8")
    with pytest.raises(UsageError, match="is not the dataset the run read"):
        rejudge_run(ctx, folder, [SECOND], data=changed)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files


def test_a_moved_dataset_is_read_from_data(repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv"
    shutil.copy(fixture_csv, copy)
    folder = _run(repo_kb, tmp_path / "run", copy, FIRST)
    moved = tmp_path / "moved.csv"
    copy.rename(moved)
    with pytest.raises(DatasetError, match="cannot read"):  # the recorded file is gone
        rejudge_run(RunContext(repo_kb), folder, [SECOND])
    assert rejudge_run(RunContext(repo_kb), folder, [SECOND], data=moved).added == [SECOND]


def test_the_command_prints_each_added_asr_with_its_hash(
    repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path
) -> None:
    folder = _run(repo_kb, tmp_path / "run", fixture_csv, FIRST)
    runner = CliRunner()
    result = runner.invoke(app, ["rejudge", str(folder), "--judge", SECOND, "--root", str(REPO), "--format", "json"])
    assert result.exit_code == 0, result.output
    added = json.loads(result.stdout)["added"]
    assert [a["judge"] for a in added] == [SECOND] and len(added[0]["sha256"]) == 64
    again = runner.invoke(app, ["rejudge", str(folder), "--judge", SECOND, "--root", str(REPO)])
    assert again.exit_code == 2 and "already judged" in again.output and "Traceback" not in again.output
    agreement = runner.invoke(app, ["judge-agreement", str(folder)])
    assert agreement.exit_code == 0 and f"{FIRST} vs {SECOND}" in agreement.stdout


def test_a_rerun_keeps_added_judges_while_the_responses_are_the_same(
    repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path
) -> None:
    folder = _run(repo_kb, tmp_path / "run", fixture_csv, FIRST)
    rejudge_run(RunContext(repo_kb), folder, [SECOND])
    spec = RunSpec(method="figstep", model="mock-echo", data=fixture_csv, out=folder, judges=(FIRST,), limit=4)
    again = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("refuse"))
    assert [a.judge for a in again.record.aggregates] == [FIRST, SECOND] and again.dropped_judges == ()
    assert all(SECOND in row.verdicts for row in read_samples(folder / "samples.jsonl"))
    fresh = RunSpec(**{**spec.__dict__, "fresh": True})
    changed = run_reproduction(RunContext(repo_kb), fresh, backend=MockBackend("comply"))  # other responses
    assert changed.dropped_judges == (SECOND,) and [a.judge for a in changed.record.aggregates] == [FIRST]
