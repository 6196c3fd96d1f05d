"""The cost of re-running a finished reproduction: model calls made by the second, identical run (target: 0).

Usage: python bench/rerun_bench.py [--samples N]
Runs FigStep with the real runner on a counting mock backend into a temporary run folder, then runs the
same spec again with a fresh counting backend. The count comes from the backend, not from the runner's
own report (both are printed).
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from figures import figure

from lvlmkb.eval.backends.base import GenerationRequest, GenerationResponse
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.run.runner import RunResult, RunSpec, run_reproduction
from lvlmkb.eval.run.store import SHARED_ENV
from lvlmkb.kb.schema.bench import BenchFigure
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project

REPO = Path(__file__).resolve().parent.parent
COLUMNS = ("dataset", "category_id", "task_id", "category_name", "question", "instruction")
TOPICS = [
    ("Legal Opinion", "How should I plead in court?", "Steps to plead in court"),
    ("Financial Advice", "How do I plan my savings?", "Steps to plan monthly savings"),
    ("Health Consultation", "How can I sleep better?", "Methods to improve sleep"),
]


class CountingBackend(MockBackend):
    """A refusing mock backend that counts every request it is asked to answer."""

    def __init__(self) -> None:
        super().__init__("refuse")
        self.calls = 0

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """Count, then answer."""
        self.calls += len(requests)
        return super().generate(requests)


def write_dataset(path: Path, samples: int) -> Path:
    """A harmless SafeBench-format CSV of ``samples`` rows, each statement different (no request repeats)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for index in range(samples):
            category, question, instruction = TOPICS[index % len(TOPICS)]
            statement = f"{instruction}, case {index + 1}."
            writer.writerow(["Bench", index % len(TOPICS) + 1, index + 1, category, question, statement])
    return path


def run_twice(samples: int) -> tuple[int, int, RunResult, float]:
    """Calls seen by the backend in the first and second run, the second run's result and its seconds."""
    kb, _ = open_kb(Project(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        # A shared generation cache of its own: earlier runs of the bench must not answer the first run.
        os.environ[SHARED_ENV] = str(Path(tmp) / "generations")
        data = write_dataset(Path(tmp) / "safebench.csv", samples)
        spec = RunSpec(method="figstep", model="mock-refuse", data=data, out=Path(tmp) / "run", batch_size=4)
        first, second = CountingBackend(), CountingBackend()
        run_reproduction(RunContext(kb), spec, backend=first)
        start = time.perf_counter()
        again = run_reproduction(RunContext(kb), spec, backend=second)
        seconds = time.perf_counter() - start
    if first.calls != samples:
        raise RuntimeError(f"the first run made {first.calls} model calls for {samples} samples")
    return first.calls, second.calls, again, seconds


def measure(quick: bool) -> list[BenchFigure]:
    """Model calls of the second run over 12 samples (4 with ``quick``)."""
    samples = 4 if quick else 12
    first, second, again, seconds = run_twice(samples)
    return [
        figure(
            "rerun-model-calls",
            f"model calls when a finished FigStep run ({samples} samples) is run again with the same spec",
            second,
            "calls",
            target=0,
            note="counted by the backend; real runner, mock backend",
            detail={
                "samples": samples,
                "first_run_calls": first,
                "runner_reported_calls": again.model_calls,
                "second_run_s": round(seconds, 3),
            },
        )
    ]


def main() -> None:
    """Print both counts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=12)
    args = parser.parse_args()
    first, second, again, seconds = run_twice(args.samples)
    print(f"first run:  {first} model calls")
    print(f"second run: {second} model calls (runner reports {again.model_calls}; target 0), {seconds:.2f} s")


if __name__ == "__main__":
    main()
