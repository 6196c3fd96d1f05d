"""The issue's acceptance commands on CPU: a tiny Janus run, and a real checkpoint offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lvlmkb.eval.backends.registry import MissingExtraError, backend_class
from tests.conftest import DATA, REPO

pytest.importorskip("torch")
pytest.importorskip("transformers")


def _run(args: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "kb"),
        "HF_HUB_OFFLINE": "1",
        "LVLMKB_CACHE": str(cache),
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "lvlmkb", *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_figstep_on_tiny_janus_writes_a_run_record(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = [
        "reproduce",
        "figstep",
        "--model",
        "tiny-janus",
        "--limit",
        "10",
        "--root",
        str(REPO),
        "--data",
        str(DATA / "safebench_fixture.csv"),
        "--out",
        str(out),
        "--max-new-tokens",
        "8",
        "--batch-size",
        "4",
    ]
    proc = _run(args, tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    record = json.loads((out / "run.json").read_text())
    assert record["model"]["checkpoint"] == "lvlmkb-tiny/janus" and record["counts"]["samples"] == 10
    assert record["backend"]["backend"] == "hf" and record["aggregates"][0]["overall"]["n"] == 10
    assert len((out / "samples.jsonl").read_text().splitlines()) == 10


def test_real_checkpoint_offline_is_a_clear_message(tmp_path: Path) -> None:
    args = [
        "reproduce",
        "figstep",
        "--model",
        "janus-pro",
        "--limit",
        "1",
        "--root",
        str(REPO),
        "--data",
        str(DATA / "safebench_fixture.csv"),
        "--out",
        str(tmp_path / "run"),
    ]
    proc = _run(args, tmp_path / "cache")
    assert proc.returncode == 1
    assert "deepseek-community/Janus-Pro-7B" in proc.stderr and "HF_HOME" in proc.stderr
    assert "hf download deepseek-community/Janus-Pro-7B" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'", name="torch")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delitem(sys.modules, "lvlmkb.eval.backends.hf", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingExtraError) as info:
        backend_class("hf")
    assert info.value.hint == "pip install 'lvlmkb[hf]'" and "torch" in info.value.message
