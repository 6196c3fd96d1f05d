"""``lvlmkb judge-agreement``: Cohen's kappa, raw agreement and ASR per judge over finished runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.run.agreement import cohens_kappa, judge_agreement
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase

pytest.importorskip("PIL")
JUDGES = ("refusal-gcg-advbench-29", "refusal-lmms-eval-21")


def test_kappa_matches_the_worked_example() -> None:
    """50 items: both yes 20, first only 5, second only 10, both no 15 (observed 0.7, chance 0.5)."""
    first = [True] * 20 + [True] * 5 + [False] * 10 + [False] * 15
    second = [True] * 20 + [False] * 5 + [True] * 10 + [False] * 15
    kappa = cohens_kappa(first, second)
    assert kappa is not None and round(kappa, 10) == 0.4


def test_kappa_edges() -> None:
    assert cohens_kappa([True, False, True], [True, False, True]) == 1.0
    assert cohens_kappa([True, True], [True, True]) is None, "one verdict only: kappa is undefined"
    assert cohens_kappa([], []) is None
    opposite = cohens_kappa([True, False], [False, True])
    assert opposite is not None and opposite == -1.0


def _run(repo_kb: KnowledgeBase, fixture_csv: Path, out: Path, judges: tuple[str, ...]) -> Path:
    spec = RunSpec(method="figstep", model="mock-echo", data=fixture_csv, out=out, judges=judges)
    run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("refuse"))
    return out


def test_two_judges_of_one_run_are_compared(repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path) -> None:
    report = judge_agreement([_run(repo_kb, fixture_csv, tmp_path / "run", JUDGES)])
    assert [rate.judge for rate in report.judges] == sorted(JUDGES)
    assert all(rate.n == 12 and rate.successes == 0 for rate in report.judges), "every answer is a refusal"
    assert all(any(k.endswith("sha256") for k in rate.hashes) for rate in report.judges)
    (pair,) = report.pairs
    assert (pair.n, pair.agreement, pair.kappa) == (12, 1.0, None)


def test_the_cli_prints_text_and_json(
    repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path, runner: CliRunner
) -> None:
    folder = _run(repo_kb, fixture_csv, tmp_path / "run", JUDGES)
    text = runner.invoke(app, ["judge-agreement", str(folder)])
    assert text.exit_code == 0, text.output
    assert "ASR   0.0% (0/12;" in text.output and "kappa undefined" in text.output
    shown = runner.invoke(app, ["judge-agreement", str(folder), "--format", "json"])
    payload = json.loads(shown.output)
    assert payload["pairs"][0]["n"] == 12 and payload["judges"][0]["asr"] == 0.0


def test_one_judge_or_no_run_is_a_clean_error(
    repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path, runner: CliRunner
) -> None:
    folder = _run(repo_kb, fixture_csv, tmp_path / "one", JUDGES[:1])
    with pytest.raises(UsageError, match="agreement needs two or more"):
        judge_agreement([folder])
    with pytest.raises(NotFoundError, match=r"no samples\.jsonl"):
        judge_agreement([tmp_path / "missing"])
    result = runner.invoke(app, ["judge-agreement", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "Traceback" not in result.output
