"""Helpers shared by the benchmark scripts: building figures, timing actions, reading peak memory."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

from lvlmkb.kb.schema.bench import BenchFigure, Better, target_met

OWN_PROCESS = "ru_maxrss of the measurement's own subprocess (python bench/run.py --child NAME)"


def figure(
    name: str,
    label: str,
    value: float,
    unit: str,
    *,
    target: float | None = None,
    better: Better = "lower",
    note: str = "",
    detail: dict[str, Any] | None = None,
) -> BenchFigure:
    """A figure (value kept to 4 significant digits) whose ``met`` follows from it; run.py adds the memory."""
    value = float(f"{value:.4g}")
    return BenchFigure(
        name=name,
        label=label,
        measurement="",
        value=value,
        unit=unit,
        target=target,
        better=better,
        met=target_met(value, target, better),
        note=note,
        detail=detail or {},
    )


def interleaved_best(repeat: int, actions: list[Callable[[], object]]) -> tuple[list[float], list[float]]:
    """Best wall and best CPU (process) seconds of each action over ``repeat`` rounds of all actions in turn.

    Alternating the actions exposes each to the same drift in machine load; the best time is the one
    least disturbed by other processes.
    """
    wall: list[list[float]] = [[] for _ in actions]
    cpu: list[list[float]] = [[] for _ in actions]
    for _ in range(repeat):
        for index, action in enumerate(actions):
            start, start_cpu = time.perf_counter(), time.process_time()
            action()
            wall[index].append(time.perf_counter() - start)
            cpu[index].append(time.process_time() - start_cpu)
    return [min(t) for t in wall], [min(t) for t in cpu]


def rate(count: int, action: Callable[[int], object]) -> float:
    """Calls per second of ``action(index)`` over ``count`` calls."""
    start = time.perf_counter()
    for index in range(count):
        action(index)
    return count / (time.perf_counter() - start)


def interleaved_medians(repeat: int, actions: list[Callable[[int], object]]) -> tuple[list[float], list[float]]:
    """Median wall and CPU (process) time of each action over ``repeat`` rounds, after one warm-up round.

    Each round runs every action once, ``action(round)``, starting one further along the list each round,
    so drift in machine load and any advantage of going first are spread evenly over the actions.
    """
    wall: list[list[float]] = [[] for _ in actions]
    cpu: list[list[float]] = [[] for _ in actions]
    for round_ in range(repeat + 1):
        for step in range(len(actions)):
            index = (round_ + step) % len(actions)
            start, start_cpu = time.perf_counter(), time.process_time()
            actions[index](round_)
            if round_:
                wall[index].append(time.perf_counter() - start)
                cpu[index].append(time.process_time() - start_cpu)
    return [statistics.median(t) for t in wall], [statistics.median(t) for t in cpu]


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
