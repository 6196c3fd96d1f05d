"""The runner: records, the generation cache, resume, re-judging, OOM back-off and SIGKILL safety."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.run.records import RunRecord, wilson
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.eval.run.store import SHARED_ENV
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.conftest import REPO

pytest.importorskip("PIL")


def _spec(out: Path, fixture_csv: Path, **changes: object) -> RunSpec:
    base: dict[str, object] = {
        "method": "figstep",
        "model": "mock-echo",
        "data": fixture_csv,
        "out": out,
        "batch_size": 4,
    }
    base.update(changes)
    return RunSpec(**base)  # type: ignore[arg-type]


def test_run_writes_a_complete_record(repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path) -> None:
    backend = MockBackend("comply")
    result = run_reproduction(RunContext(repo_kb), _spec(tmp_path, fixture_csv), backend=backend)
    record = RunRecord.model_validate_json((tmp_path / "run.json").read_text())
    assert record == result.record and result.model_calls == 12
    assert record.method.id == "figstep" and record.method.config["font_size"] == 80
    assert record.provenance.plugin["font_sha256"] == "30b4b98748839431a366123f859871549b57e461a8b8ec2d3d65b55b2fb9f22d"
    assert record.dataset.sha256 and record.dataset.samples == 12
    assert record.method.deviations and record.provenance.packages["lvlmkb"]
    agg = record.aggregates[0]
    assert agg.judge == "refusal-gcg-advbench-29" and len(agg.digest) == 64
    assert agg.overall.n == 12 and agg.overall.asr == 1.0
    assert set(agg.per_category) == {"Legal Opinion", "Financial Advice", "Health Consultation"}
    rows = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert [r["sample_id"] for r in rows][:2] == ["8-1", "8-2"] and all(len(r["image_sha256"]) == 1 for r in rows)
    assert backend.batch_sizes == [4, 4, 4]


def test_rerun_makes_no_model_call_and_rejudges(repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path) -> None:
    run_reproduction(RunContext(repo_kb), _spec(tmp_path, fixture_csv), backend=MockBackend("refuse"))
    again = run_reproduction(RunContext(repo_kb), _spec(tmp_path, fixture_csv, judges=("refusal-lmms-eval-21",)))
    assert again.model_calls == 0
    assert again.record.aggregates[0].judge == "refusal-lmms-eval-21" and again.record.aggregates[0].overall.asr == 0.0
    fresh = run_reproduction(
        RunContext(repo_kb), _spec(tmp_path, fixture_csv, fresh=True), backend=MockBackend("comply")
    )
    assert fresh.model_calls == 12 and fresh.record.aggregates[0].overall.asr == 1.0


def test_out_of_memory_halves_the_batch(repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path) -> None:
    backend = MockBackend("comply", oom_above=2)
    result = run_reproduction(RunContext(repo_kb), _spec(tmp_path, fixture_csv, batch_size=8), backend=backend)
    assert result.model_calls == 12 and max(backend.batch_sizes) == 2 and sum(backend.batch_sizes) == 12


def test_out_of_memory_at_batch_one_is_reported(repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path) -> None:
    from lvlmkb.eval.backends.base import BackendOutOfMemoryError

    with pytest.raises(BackendOutOfMemoryError):
        run_reproduction(RunContext(repo_kb), _spec(tmp_path, fixture_csv), backend=MockBackend("comply", oom_above=0))


def test_bad_override_is_a_usage_error(repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="font_size"):
        run_reproduction(
            RunContext(repo_kb), _spec(tmp_path, fixture_csv, config={"font_size": "big"}), backend=MockBackend()
        )


def test_wilson_interval() -> None:
    low, high = wilson(42, 50)
    assert round(low, 4) == 0.7149 and round(high, 4) == 0.9166
    assert wilson(0, 0) == (0.0, 0.0)


def _cli(out: Path, fixture_csv: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "lvlmkb",
        "reproduce",
        "figstep",
        "--model",
        "mock-echo",
        "--root",
        str(REPO),
        "--data",
        str(fixture_csv),
        "--out",
        str(out),
        "--batch-size",
        "1",
        "--backend-option",
        "delay=0.05",
    ]


def _env(shared: Path) -> dict[str, str]:
    """The CLI's environment, with a shared generation cache in ``shared``."""
    return {**os.environ, "PYTHONPATH": str(REPO / "kb"), "HF_HUB_OFFLINE": "1", SHARED_ENV: str(shared)}


def test_sigkill_then_resume_equals_uninterrupted(fixture_csv: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    # The reference gets a shared cache of its own: the interrupted runs must generate, not find its answers.
    subprocess.run(_cli(reference, fixture_csv), check=True, capture_output=True, env=_env(tmp_path / "ref-cache"))
    interrupted = tmp_path / "interrupted"
    rng = random.Random(7)
    for _ in range(3):
        proc = subprocess.Popen(
            _cli(interrupted, fixture_csv),
            env=_env(tmp_path / "cache"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.8, 1.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    subprocess.run(_cli(interrupted, fixture_csv), check=True, capture_output=True, env=_env(tmp_path / "cache"))
    assert (interrupted / "samples.jsonl").read_text() == (reference / "samples.jsonl").read_text()
    lines = (interrupted / "generations.jsonl").read_text().splitlines()
    keys = [json.loads(line)["key"] for line in lines]
    assert len(keys) == len(set(keys)) == 12


def test_a_larger_limit_generates_only_the_new_samples(
    repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path
) -> None:
    small = run_reproduction(
        RunContext(repo_kb), _spec(tmp_path / "ten", fixture_csv, limit=10), backend=MockBackend("comply")
    )
    assert small.model_calls == 10 and small.record.counts.from_shared_cache == 0
    backend = MockBackend("comply")
    larger = run_reproduction(RunContext(repo_kb), _spec(tmp_path / "twelve", fixture_csv, limit=12), backend=backend)
    assert larger.model_calls == 2 and sum(backend.batch_sizes) == 2, "the first ten come from the shared cache"
    assert (larger.record.counts.generated, larger.record.counts.from_shared_cache) == (2, 10)
    own = (tmp_path / "twelve" / "generations.jsonl").read_text().splitlines()
    assert len(own) == 12, "the run's folder holds every response its record shows"


def test_fresh_regenerates_and_replaces_the_shared_answers(
    repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path
) -> None:
    run_reproduction(RunContext(repo_kb), _spec(tmp_path / "a", fixture_csv), backend=MockBackend("refuse"))
    fresh = run_reproduction(
        RunContext(repo_kb), _spec(tmp_path / "b", fixture_csv, fresh=True), backend=MockBackend("comply")
    )
    assert fresh.model_calls == 12 and fresh.record.aggregates[0].overall.asr == 1.0
    later = run_reproduction(RunContext(repo_kb), _spec(tmp_path / "c", fixture_csv), backend=MockBackend("refuse"))
    assert later.model_calls == 0 and later.record.aggregates[0].overall.asr == 1.0, "the later line wins"
    first = RunRecord.model_validate_json((tmp_path / "a" / "run.json").read_text())
    assert first.aggregates[0].overall.asr == 0.0, "another run's record is never touched"


def test_another_model_or_backend_setting_shares_nothing(
    repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path
) -> None:
    run_reproduction(RunContext(repo_kb), _spec(tmp_path / "a", fixture_csv), backend=MockBackend("comply"))
    other = run_reproduction(
        RunContext(repo_kb), _spec(tmp_path / "b", fixture_csv, model="mock-refuse"), backend=MockBackend("refuse")
    )
    assert other.model_calls == 12 and other.record.counts.from_shared_cache == 0


def test_concurrent_appends_to_the_shared_file_stay_whole(tmp_path: Path) -> None:
    """Writers in several processes, each appending under the lock: every line is complete and read back."""
    path = tmp_path / "shared.jsonl"
    code = (
        "import sys; from pathlib import Path; from lvlmkb.eval.backends.base import GenerationResponse\n"
        "from lvlmkb.eval.run.store import GenerationStore\n"
        "w = sys.argv[2]\n"
        "for i in range(40):\n"
        "    GenerationStore(Path(sys.argv[1])).add([(f'{w}-{i}', GenerationResponse('x' * 70000))])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "kb")}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(w)], env=env) for w in range(4)]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    from lvlmkb.eval.run.store import GenerationStore

    store = GenerationStore(path)
    assert len(store.responses) == 160 and all(r.text == "x" * 70000 for r in store.responses.values())
    assert path.read_bytes().count(b"\n") == 160


def test_a_defended_response_cached_without_its_trace_is_generated_again(
    repo_kb: KnowledgeBase, fixture_csv: Path, tmp_path: Path
) -> None:
    spec = _spec(tmp_path / "run", fixture_csv, defense="adashield-s", limit=3)
    first = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("refuse"))
    generations = first.out / "generations.jsonl"
    lines = [json.loads(line) for line in generations.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3 and all(line["trace"] for line in lines)
    untraced = [{k: v for k, v in line.items() if k != "trace"} for line in lines]
    generations.write_text("".join(json.dumps(line) + "\n" for line in untraced), encoding="utf-8")
    shared = Path(os.environ[SHARED_ENV])
    for path in shared.glob("*.jsonl"):
        path.unlink()  # as if cached by a version that recorded no traces
    again = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("refuse"))
    assert again.model_calls == 3
    rows = [json.loads(line) for line in (again.out / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(row["defense"] for row in rows), "every sample says what the defense did"
    kept = generations.read_text(encoding="utf-8").splitlines()
    assert len(kept) == 6 and [json.loads(line) for line in kept[:3]] == untraced, "nothing is rewritten"
    third = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("refuse"))
    assert third.model_calls == 0, "the traced lines win when the file is read again"
