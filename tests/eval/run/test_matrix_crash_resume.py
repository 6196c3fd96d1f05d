"""A matrix or a suite killed with SIGKILL at random points and run again ends with the records of an uninterrupted one.

The matrix is FigStep x {no defense, AdaShield-S} x {mock-echo, mock-comply}; the suite is FigStep's three query
types on mock-comply under AdaShield-S; both on the 12-row SafeBench fixture. The driver
(``tests/eval/run/matrix_crash_driver.py``) forks one child per attempt.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, copy_paper_folders, make_kb
from tests.eval.run.test_crash_resume import _comparable

SEED, CHAINS, KILLS_PER_CHAIN = 20261203, 2, 4
KINDS, WEIGHTS = ["call", "append", "temp", "replace"], [3, 3, 1, 1]
PAPER_FOLDERS = ("figstep", "adashield")


SUITE = {
    "id": "crash",
    "title": "FigStep's query types",
    "paper": "doe2024example",
    "description": "Three parts of one method, for the crash test.",
    "parts": [
        {"benchmark": "SafeBench", "setting": kind, "method": "figstep", "config": {"query_type": kind},
         "judge": "refusal-gcg-advbench-29"}
        for kind in ("figstep", "statement", "baseline")
    ],
}  # fmt: skip
CELLS = {"matrix": 4, "suite": 3}


def _root(path: Path) -> str:
    root = make_kb(path)
    copy_paper_folders(root, *PAPER_FOLDERS)
    (root / "reproductions" / "suites").mkdir()
    (root / "reproductions" / "suites" / "crash.yaml").write_text(yaml.safe_dump(SUITE), encoding="utf-8")
    return str(root)


def _plan(tmp_path: Path, fixture_csv: Path, mode: str) -> dict[str, Any]:
    rng = random.Random(SEED)
    chains = [
        {
            "root": _root(tmp_path / f"chain{index}"),
            "kills": [
                {"kind": rng.choices(KINDS, WEIGHTS)[0], "u": rng.random(), "fraction": rng.random()}
                for _ in range(KILLS_PER_CHAIN)
            ],
        }
        for index in range(CHAINS)
    ]
    plan: dict[str, Any] = {
        "reference": _root(tmp_path / "reference"),
        "data": str(fixture_csv),
        "batch_size": 3,
        "config": {},
        "chains": chains,
    }
    if mode == "suite":
        plan["suite"] = {"id": "crash", "model": "mock-comply", "defense": "adashield-s"}
    else:
        plan["matrix"] = {
            "attacks": ["figstep"],
            "defenses": ["none", "adashield-s"],
            "models": ["mock-echo", "mock-comply"],
        }
    return plan


def _agrees(cell: dict[str, Any], reference: dict[str, Any]) -> bool:
    """A cell as a killed run leaves it: complete cache lines that agree, a record absent or complete."""
    return (
        all(reference["generations"].get(key) == text for key, text in cell["generations"].items())
        and ("samples" not in cell or cell["samples"] == reference["samples"])
        and ("run" not in cell or _comparable(cell["run"]) == _comparable(reference["run"]))
        and all(name.startswith(".") and name.endswith(".tmp") for name in cell["litter"])
    )


@pytest.mark.parametrize("mode", ["matrix", "suite"])
def test_killed_at_eight_points_then_rerun_equals_an_uninterrupted_run(
    tmp_path: Path, fixture_csv: Path, mode: str
) -> None:
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(_plan(tmp_path, fixture_csv, mode)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "kb"), str(REPO)]), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.eval.run.matrix_crash_driver", str(plan_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    reference = report["reference"]
    assert reference["exit"] == 0, done.stderr[-3000:]
    assert len(reference["cells"]) == CELLS[mode]
    assert all(c["generation_lines"] == 12 for c in reference["cells"].values())

    attempts = [a for chain in report["chains"] for a in chain["attempts"]]
    assert len(attempts) == CHAINS * KILLS_PER_CHAIN
    assert all(a["ended"] == "SIGKILL" for a in attempts), [(a["kind"], a["ended"]) for a in attempts]
    assert any(any(cell["torn"] for cell in a["cells"].values()) for a in attempts) or not any(
        a["kind"] == "append" for a in attempts
    )
    for a in attempts:
        assert set(a["cells"]) <= set(reference["cells"])
        assert all(_agrees(cell, reference["cells"][name]) for name, cell in a["cells"].items()), a["kind"]

    for chain in report["chains"]:
        final = chain["final"]
        assert final["exit"] == 0, done.stderr[-3000:]
        assert set(final["cells"]) == set(reference["cells"])
        for name, cell in final["cells"].items():
            want = reference["cells"][name]
            assert cell["torn"] == 0 and cell["generations"] == want["generations"]
            assert cell["samples"] == want["samples"]
            assert _comparable(cell["run"]) == _comparable(want["run"])
