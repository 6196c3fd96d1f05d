"""Crash safety: a FigStep run killed with SIGKILL at 20 seeded points, resumed each time, ends as if never killed.

The runs go through tests/eval/run/crash_driver.py, which forks one child per attempt and kills it at a
planned point: inside a backend call, in the middle of an append to the generation cache (a torn line),
while the run record's temporary files are written, or just before they are renamed into place.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, copy_paper_folders, make_kb

pytest.importorskip("PIL")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the driver forks")

SEED = 20240611
CHAINS, KILLS_PER_CHAIN = 4, 5
KINDS, WEIGHTS = ["call", "append", "temp", "replace"], [4, 4, 1, 1]


def _plan(tmp_path: Path, fixture_csv: Path) -> dict[str, Any]:
    root = make_kb(tmp_path / "kb")
    copy_paper_folders(root, "figstep")
    rng = random.Random(SEED)
    chains = [
        {
            "out": str(tmp_path / f"chain{index}"),
            "kills": [
                {"kind": rng.choices(KINDS, WEIGHTS)[0], "u": rng.random(), "fraction": rng.random()}
                for _ in range(KILLS_PER_CHAIN)
            ],
        }
        for index in range(CHAINS)
    ]
    return {
        "root": str(root),
        "data": str(fixture_csv),
        "batch_size": 2,
        "config": {"canvas": [380, 380], "font_size": 40},
        "reference": str(tmp_path / "reference"),
        "chains": chains,
    }


def _comparable(run: dict[str, Any]) -> dict[str, Any]:
    """The run record without what legitimately differs: its time, whether the backend was opened and how
    many responses this invocation generated."""
    counts = {k: v for k, v in run["counts"].items() if k not in ("generated", "model_requests", "from_shared_cache")}
    return {**{k: v for k, v in run.items() if k not in ("created", "backend")}, "counts": counts}


def test_sigkill_at_twenty_points_then_resume_equals_an_uninterrupted_run(tmp_path: Path, fixture_csv: Path) -> None:
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(_plan(tmp_path, fixture_csv)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "kb"), str(REPO)]), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.eval.run.crash_driver", str(plan_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    reference = report["reference"]
    assert reference["exit"] == 0 and reference["torn"] == 0, done.stderr[-3000:]
    ids = reference["samples"]["ids"]
    assert len(ids) == len(set(ids)) == reference["generation_lines"] == len(reference["generations"]) == 12
    assert 0 < reference["run"]["aggregates"][0]["overall"]["successes"] < 12  # the judgements are mixed

    attempts = [a for chain in report["chains"] for a in chain["attempts"]]
    assert len(attempts) == 20
    assert all(a["signal"] == signal.SIGKILL for a in attempts), [(a["kind"], a["exit"]) for a in attempts]
    assert {a["kind"] for a in attempts} == set(KINDS)
    assert any(a["torn"] > 0 for a in attempts), "no kill tore a line of the generation cache"
    for a in attempts:
        # What a resuming run finds: complete cache lines that agree with the reference, a run record
        # that is absent or complete (never a partial samples.jsonl), and at most temporary litter.
        assert a["generation_lines"] == len(a["generations"]) <= 12
        assert all(reference["generations"][key] == text for key, text in a["generations"].items())
        assert "samples" not in a or a["samples"] == reference["samples"]
        assert "run" not in a or _comparable(a["run"]) == _comparable(reference["run"])
        assert all(name.startswith(".") and name.endswith(".tmp") for name in a["litter"]), a["litter"]

    for chain in report["chains"]:
        final = chain["final"]
        assert final["exit"] == 0 and final["torn"] == 0
        assert final["generations"] == reference["generations"] and final["generation_lines"] == 12
        assert final["samples"] == reference["samples"]
        assert _comparable(final["run"]) == _comparable(reference["run"])
