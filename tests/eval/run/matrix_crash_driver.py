"""Test-only driver of ``test_matrix_crash_resume.py``: a whole matrix or suite killed with SIGKILL, then run again.

Run as ``python -m tests.eval.run.matrix_crash_driver PLAN.json`` from the checkout; it prints a JSON report.

The matrix (attacks x defenses x mock models) and the suite (parts on a mock model) open their own backends,
so the kill points are the file and backend hooks of :mod:`tests.eval.run.crash_driver` installed process-wide
in a forked child. Before each attempt a probe child runs on a copy of the chain's state with counting
hooks, so the planned point (a fraction of the events still to come) is always reached.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lvlmkb.eval.backends.base import GenerationRequest, GenerationResponse
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.registry import get_suite
from lvlmkb.eval.run.matrix import run_matrix
from lvlmkb.eval.run.runner import RunSpec
from lvlmkb.eval.run.store import SHARED_ENV
from lvlmkb.eval.run.suite import run_suite
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from tests.eval.run.crash_driver import _arm, _die, inspect

KINDS = ("call", "append", "temp", "replace")


def _count_events(counts: dict[str, int]) -> None:
    """Count, in this child, every event a kill point of each kind could hit."""
    real_generate, real_open, real_fdopen, real_replace = MockBackend.generate, pathlib.Path.open, os.fdopen, os.replace

    def generate(self: MockBackend, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        counts["call"] += 1
        return real_generate(self, requests)

    def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        counts["append"] += self.name == "generations.jsonl" and "a" in mode
        return real_open(self, mode, *args, **kwargs)

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        counts["temp"] += mode == "wb"
        return real_fdopen(fd, mode, *args, **kwargs)

    def replace(src: Any, dst: Any, *, src_dir_fd: int | None = None, dst_dir_fd: int | None = None) -> None:
        counts["replace"] += 1
        real_replace(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    MockBackend.generate = generate  # type: ignore[method-assign]
    pathlib.Path.open = open_  # type: ignore[method-assign]
    os.fdopen = fdopen
    os.replace = replace


def _arm_everywhere(point: dict[str, Any]) -> None:
    """Install one kill point for every backend the matrix opens and every file it writes."""
    if point["kind"] != "call":
        _arm(point, MockBackend())
        return
    real_generate, count = MockBackend.generate, [0]

    def generate(self: MockBackend, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        count[0] += 1
        if count[0] == point["number"]:
            _die()
        return real_generate(self, requests)

    MockBackend.generate = generate  # type: ignore[method-assign]


def _child(plan: dict[str, Any], root: Path, point: dict[str, Any] | None, counts_file: Path | None) -> int:
    os.environ[SHARED_ENV] = str(root.parent / f"{root.name}-shared")
    kb, _ = open_kb(Project(root))
    counts = dict.fromkeys(KINDS, 0)
    if counts_file is not None:
        _count_events(counts)
    elif point is not None:
        _arm_everywhere(point)
    data = {"safebench": Path(plan["data"])}
    if "suite" in plan:
        suite_plan = plan["suite"]
        model, defense = suite_plan["model"], suite_plan["defense"]
        base = RunSpec(method="", model=model, batch_size=plan["batch_size"], defense=defense)
        suite = get_suite(kb.project.reproductions_dir, suite_plan["id"])
        complete = not run_suite(RunContext(kb), suite, base, data).failed
    else:
        base = RunSpec(method="", model="", batch_size=plan["batch_size"], config=plan["config"])
        m = plan["matrix"]
        grid = run_matrix(RunContext(kb), base, m["attacks"], m["defenses"], m["models"], data)
        complete = all(cell.result is not None for cell in grid)
    if counts_file is not None:
        counts_file.write_text(json.dumps(counts), encoding="utf-8")
    return 0 if complete else 4


def attempt(plan: dict[str, Any], root: Path, point: dict[str, Any] | None, counts: Path | None = None) -> int | str:
    """Run the matrix or suite once in a forked child: its exit code, or ``"SIGKILL"``."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            code = _child(plan, root, point, counts)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return "SIGKILL" if os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9 else os.WEXITSTATUS(status)


def remaining_events(plan: dict[str, Any], root: Path) -> dict[str, int]:
    """How many events of each kind a run would still meet from ``root``'s state."""
    probe = root.parent / f"{root.name}-probe"
    for source, target in ((root, probe), (root.parent / f"{root.name}-shared", probe.parent / f"{probe.name}-shared")):
        shutil.rmtree(target, ignore_errors=True)
        if source.exists():
            shutil.copytree(source, target)
    counts_file = root.parent / f"{root.name}-counts.json"
    assert attempt(plan, probe, None, counts_file) == 0
    counts: dict[str, int] = json.loads(counts_file.read_text(encoding="utf-8"))
    return counts


def cells(root: Path) -> dict[str, dict[str, Any]]:
    """Every run folder under ``root/runs`` as the next run finds it, by its path."""
    runs = root / "runs"
    folders = sorted({p.parent for p in runs.rglob("config.json")}) if runs.exists() else []
    return {str(folder.relative_to(runs)): inspect(folder) for folder in folders}


def main(plan_path: str) -> None:
    """Run the plan and print the report."""
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    reference = Path(plan["reference"])
    report: dict[str, Any] = {"reference": {"exit": attempt(plan, reference, None), "cells": cells(reference)}}
    report["chains"] = []
    for chain in plan["chains"]:
        root, attempts = Path(chain["root"]), []
        for planned in chain["kills"]:
            events = remaining_events(plan, root)
            kind = planned["kind"] if events[planned["kind"]] else "replace"
            point = {"kind": kind, "number": 1 + int(planned["u"] * events[kind]), "fraction": planned["fraction"]}
            attempts.append({**point, "ended": attempt(plan, root, point), "cells": cells(root)})
        report["chains"].append(
            {"attempts": attempts, "final": {"exit": attempt(plan, root, None), "cells": cells(root)}}
        )
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
