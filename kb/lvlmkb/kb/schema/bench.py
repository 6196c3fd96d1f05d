"""The benchmark record ``bench/results.json``: machine facts and one entry per measured figure.

``python bench/run.py`` writes it; the site's Performance page reads it. A figure's ``met`` is derived
from its value and target, and a file whose ``met`` disagrees with them is rejected.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BENCH_RESULTS = "bench/results.json"
BENCH_VERSION = 1

Better = Literal["lower", "higher"]


class _BenchModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def target_met(value: float, target: float | None, better: Better) -> bool | None:
    """Whether ``value`` reaches ``target`` (None when there is no target)."""
    if target is None:
        return None
    return value <= target if better == "lower" else value >= target


class BenchFigure(_BenchModel):
    """One measured number, how it was measured, its target and the peak memory of its process."""

    name: str = Field(description="stable id, e.g. help-cold-start")
    label: str = Field(description="what was measured, in words")
    measurement: str = Field(description="the run.py measurement (and subprocess) that produced it")
    value: float
    unit: str
    target: float | None = None
    better: Better = "lower"
    met: bool | None = None
    peak_mib: float | None = Field(None, description="peak resident memory of the measuring process, MiB")
    memory_method: str = ""
    note: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _met_follows_from_target(self) -> BenchFigure:
        expected = target_met(self.value, self.target, self.better)
        if self.met != expected:
            raise ValueError(f"met is {self.met} but value {self.value} against target {self.target} gives {expected}")
        return self


class MachineFacts(_BenchModel):
    """Where the figures were measured."""

    cpus: int | None
    python: str
    torch: str | None
    platform: str
    packages: dict[str, str | None] = Field(default_factory=dict)
    git: dict[str, Any] = Field(default_factory=dict)
    load_average_before: tuple[float, float, float] | None = None
    load_average_after: tuple[float, float, float] | None = None


class BenchResults(_BenchModel):
    """The whole benchmark record."""

    version: int = BENCH_VERSION
    created: str = Field(description="UTC date and time of the run, ISO 8601")
    quick: bool = Field(description="smaller sizes (a smoke run), not comparable with a full run")
    only: list[str] = Field(default_factory=list, description="the measurements run, when not all")
    machine: MachineFacts
    figures: list[BenchFigure]
    failures: dict[str, str] = Field(default_factory=dict, description="measurement -> error, for those that failed")
