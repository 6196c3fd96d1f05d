"""Test-only driver of tests/eval/run/test_crash_resume.py: FigStep runs killed with SIGKILL, then resumed.

Run as ``python -m tests.eval.run.crash_driver PLAN.json`` from the checkout; it prints a JSON report.

The driver imports lvlmkb and loads the knowledge base once, then forks one child process per attempt
(a fork costs milliseconds where a fresh interpreter costs about a second). A child arms at most one
kill point, runs :func:`run_reproduction` with a scripted mock backend, and sends itself SIGKILL when
the point is reached: no ``finally`` block, atexit hook or buffer flush runs after that. The hooks
live here, in the child, and patch nothing in the package's code paths:

- ``call``: in the k-th backend call, before it answers (the whole batch's answers are lost);
- ``append``: in the k-th append to ``generations.jsonl``, after part of its bytes reached the file;
- ``temp``: while the j-th atomic write (``samples.jsonl``, then ``run.json``) fills its temporary file;
- ``replace``: just before the j-th atomic rename.

After each attempt the parent reads the run folder as a resuming run would find it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import pathlib
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from lvlmkb.eval.backends.base import GenerationRequest, GenerationResponse
from lvlmkb.eval.backends.mock import REFUSAL, MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.registry import get_method
from lvlmkb.eval.run.records import RunRecord, SampleRecord
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.eval.run.store import SHARED_ENV
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project

RUN_FILES = ("generations.jsonl", "samples.jsonl", "run.json", "config.json")


def answer(request: GenerationRequest) -> str:
    """A deterministic answer per request: a refusal for about a third of them, distinct steps otherwise."""
    key = request.key()
    return REFUSAL if int(key[0], 16) % 3 == 0 else f"1. Gather {key[:8]}.\n2. Combine them.\n3. Check {key[8:16]}."


def _die() -> NoReturn:
    os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(60)
    raise AssertionError("SIGKILL did not end the process")


class _Torn:
    """A file whose next write reaches the disk only in part before the process is killed."""

    def __init__(self, handle: Any, fraction: float) -> None:
        self.handle, self.fraction = handle, fraction

    def write(self, data: str | bytes) -> int:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        cut = max(1, min(len(raw) - 1, int(len(raw) * self.fraction)))
        binary = getattr(self.handle, "buffer", self.handle)
        self.handle.flush()
        binary.write(raw[:cut])
        binary.flush()
        _die()

    def __enter__(self) -> _Torn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)


def _arm(point: dict[str, Any], backend: MockBackend) -> None:
    """Install the kill point in this (child) process."""
    kind, number, fraction = point["kind"], point["number"], point["fraction"]
    count = [0]

    def due() -> bool:
        count[0] += 1
        return bool(count[0] == number)

    if kind == "call":
        real_generate = backend.generate

        def generate(requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
            if due():
                _die()
            return real_generate(requests)

        backend.generate = generate  # type: ignore[method-assign]
    elif kind == "append":
        real_open = pathlib.Path.open

        def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = real_open(self, mode, *args, **kwargs)
            torn = self.name == "generations.jsonl" and "a" in mode and due()
            return _Torn(handle, fraction) if torn else handle

        pathlib.Path.open = open_  # type: ignore[method-assign]
    elif kind == "temp":
        real_fdopen = os.fdopen

        def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = real_fdopen(fd, mode, *args, **kwargs)
            return _Torn(handle, fraction) if mode == "wb" and due() else handle

        os.fdopen = fdopen
    elif kind == "replace":
        real_replace = os.replace

        def replace(src: Any, dst: Any, *, src_dir_fd: int | None = None, dst_dir_fd: int | None = None) -> None:
            if due():
                _die()
            real_replace(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

        os.replace = replace


def attempt(kb: KnowledgeBase, spec: RunSpec, point: dict[str, Any] | None) -> dict[str, Any]:
    """Run once in a forked child; report how it ended."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            backend = MockBackend(script=answer)
            if point is not None:
                _arm(point, backend)
            run_reproduction(RunContext(kb), spec, backend=backend)
        except BaseException:
            traceback.print_exc()
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    killed = os.WIFSIGNALED(status)
    return {"signal": os.WTERMSIG(status) if killed else None, "exit": None if killed else os.WEXITSTATUS(status)}


def inspect(out: Path) -> dict[str, Any]:
    """The run folder as the next run finds it."""
    names = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    state: dict[str, Any] = {"litter": [name for name in names if name not in RUN_FILES]}
    generations = out / "generations.jsonl"
    raw = generations.read_bytes() if generations.exists() else b""
    complete = raw[: raw.rfind(b"\n") + 1]
    entries = [json.loads(line) for line in complete.splitlines()]
    state["torn"] = len(raw) - len(complete)
    state["generations"] = {entry["key"]: entry["text"] for entry in entries}
    state["generation_lines"] = len(entries)
    samples = out / "samples.jsonl"
    if samples.exists():
        text = samples.read_text(encoding="utf-8")
        rows = [SampleRecord.model_validate_json(line) for line in text.splitlines()]
        state["samples"] = {"sha256": hashlib.sha256(text.encode()).hexdigest(), "ids": [r.sample_id for r in rows]}
    run = out / "run.json"
    if run.exists():
        state["run"] = json.loads(RunRecord.model_validate_json(run.read_text(encoding="utf-8")).model_dump_json())
    return state


def resolve(point: dict[str, Any], pending: int, batch_size: int) -> dict[str, Any]:
    """Turn a planned point (kind, u in [0, 1), fraction) into a reachable one for this attempt."""
    calls = math.ceil(pending / batch_size)
    kind = point["kind"]
    if kind in ("call", "append") and calls == 0:
        kind = "temp" if kind == "append" else "replace"
    number = 1 + int(point["u"] * (calls if kind in ("call", "append") else 2))
    return {"kind": kind, "number": number, "fraction": point["fraction"]}


def _own_shared_cache(out: Path) -> None:
    """Give the runs into ``out`` a shared generation cache of their own (the forked children inherit it).

    Otherwise every chain would find the reference's responses there and never reach a kill point.
    """
    os.environ[SHARED_ENV] = str(out.parent / f"{out.name}-shared")


def main(plan_path: str) -> None:
    """Run the plan and print the report."""
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    kb, _ = open_kb(Project(Path(plan["root"])))
    get_method(kb.project.reproductions_dir, "figstep")  # import the plugins once, before forking
    spec = RunSpec(
        method="figstep",
        model="mock-echo",
        data=Path(plan["data"]),
        batch_size=plan["batch_size"],
        config=plan["config"],
    )
    reference = Path(plan["reference"])
    _own_shared_cache(reference)
    report: dict[str, Any] = {"reference": attempt(kb, dataclasses.replace(spec, out=reference), None)}
    report["reference"].update(inspect(reference))
    total = report["reference"]["generation_lines"]
    report["chains"] = []
    for chain in plan["chains"]:
        out = Path(chain["out"])
        chain_spec = dataclasses.replace(spec, out=out)
        _own_shared_cache(out)
        attempts = []
        for planned in chain["kills"]:
            stored = inspect(out)["generation_lines"]
            point = resolve(planned, total - stored, spec.batch_size)
            attempts.append({**point, **attempt(kb, chain_spec, point), **inspect(out)})
        final = {**attempt(kb, chain_spec, None), **inspect(out)}
        report["chains"].append({"attempts": attempts, "final": final})
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
