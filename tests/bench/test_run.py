"""``bench/run.py``: a quick run of the cheap measurements writes a well-formed record; re-runs cost nothing."""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import platform
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from lvlmkb.kb.schema.bench import BenchResults
from tests.conftest import REPO

RUN = REPO / "bench" / "run.py"
FIGURE_KEYS = {"name", "label", "measurement", "value", "unit", "target", "better", "met", "peak_mib"}
FIGURE_KEYS |= {"memory_method", "note", "detail"}


def load_run(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_run", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_record(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], str]:
    pytest.importorskip("PIL")
    out = tmp_path_factory.mktemp("bench") / "results.json"
    command = [sys.executable, str(RUN), "--quick", "--only", "help", "--only", "rerun", "--out", str(out)]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text(encoding="utf-8")), proc.stdout


def test_the_record_has_machine_facts_and_one_entry_per_figure(quick_record: tuple[dict[str, object], str]) -> None:
    data, _ = quick_record
    results = BenchResults.model_validate(data)
    assert set(data) == {"version", "created", "quick", "only", "machine", "figures", "failures"}
    assert results.quick and results.only == ["help", "rerun"] and results.failures == {}
    machine = results.machine
    assert machine.cpus is not None and machine.cpus >= 1 and machine.python == platform.python_version()
    try:
        torch: str | None = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        torch = None
    assert machine.torch == torch and machine.load_average_before is not None
    assert [f.name for f in results.figures] == ["help-cold-start", "rerun-model-calls"]
    for entry in data["figures"]:  # type: ignore[attr-defined]
        assert set(entry) == FIGURE_KEYS
    for fig in results.figures:
        assert fig.target is not None and fig.met is not None and fig.peak_mib is not None and fig.peak_mib > 0
        assert fig.memory_method and fig.measurement.endswith("(own subprocess)")
    help_ = results.figures[0]
    assert help_.unit == "s" and help_.value > 0 and help_.target == 0.3 and help_.detail["runs"] == 3


def test_rerunning_a_finished_reproduction_makes_no_model_call(quick_record: tuple[dict[str, object], str]) -> None:
    data, stdout = quick_record
    rerun = BenchResults.model_validate(data).figures[1]
    assert rerun.detail["first_run_calls"] == rerun.detail["samples"] == 4
    assert rerun.value == 0 and rerun.detail["runner_reported_calls"] == 0 and rerun.met is True
    assert "rerun-model-calls" in stdout and "help-cold-start" in stdout


def test_a_partial_run_writes_only_where_out_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = load_run(monkeypatch)
    monkeypatch.setattr(run, "DEFAULT_OUT", tmp_path / "default.json")
    args = argparse.Namespace(quick=True, only=["help"], out=None)
    assert run.report(args, "2026-01-01T00:00:00+00:00", (1.0, 1.0, 1.0), [], {}) == 0
    assert not (tmp_path / "default.json").exists()
    args = argparse.Namespace(quick=False, only=[], out=None)
    assert run.report(args, "2026-01-01T00:00:00+00:00", (1.0, 1.0, 1.0), [], {"site": "exit 1: boom"}) == 1
    written = BenchResults.model_validate_json((tmp_path / "default.json").read_text(encoding="utf-8"))
    assert written.failures == {"site": "exit 1: boom"} and not written.quick
