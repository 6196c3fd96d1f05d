"""The run record: a JSON summary (``run.json``) plus one JSON line per sample (``samples.jsonl``)."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RECORD_VERSION = 1


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VerdictRecord(_Record):
    """One judge's verdict on one response."""

    success: bool
    label: str
    rationale: str = ""


class SampleRecord(_Record):
    """What was sent for one sample, what came back, and how each judge read it."""

    sample_id: str
    category: str
    request_key: str
    prompt_sha256: str
    image_sha256: list[str]
    prompt: str
    response: str
    verdicts: dict[str, VerdictRecord]


class Rate(_Record):
    """Successes out of n, with a 95 % Wilson interval."""

    n: int
    successes: int
    asr: float
    ci95: tuple[float, float]

    @classmethod
    def of(cls, successes: int, n: int) -> Rate:
        """Build the rate and its interval."""
        return cls(n=n, successes=successes, asr=successes / n if n else 0.0, ci95=wilson(successes, n))


class JudgeAggregate(_Record):
    """ASR overall and per category under one judge (whose description travels with the number)."""

    judge: str
    judge_info: dict[str, Any]
    overall: Rate
    per_category: dict[str, Rate]


class RunRecord(_Record):
    """Everything needed to reproduce, audit and compare a run."""

    record_version: int = RECORD_VERSION
    created: str
    method: dict[str, Any]
    config: dict[str, Any]
    deviations: list[dict[str, str]]
    defense: dict[str, Any] | None = None
    model: dict[str, Any]
    backend: dict[str, Any]
    dataset: dict[str, Any]
    generation: dict[str, Any]
    provenance: dict[str, Any]
    counts: dict[str, int]
    aggregates: list[JudgeAggregate]
    reported: list[dict[str, Any]] = Field(default_factory=list)
    fingerprint: str | None = Field(default=None, description="sha256 of the run's configuration (config.json).")


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95 % Wilson score interval for a binomial proportion."""
    if n == 0:
        return (0.0, 0.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def aggregate(judge_id: str, info: dict[str, Any], rows: list[SampleRecord]) -> JudgeAggregate:
    """ASR of one judge over the rows, overall and per category."""
    by_category: dict[str, list[bool]] = {}
    for row in rows:
        by_category.setdefault(row.category, []).append(row.verdicts[judge_id].success)
    per_category = {c: Rate.of(sum(v), len(v)) for c, v in sorted(by_category.items())}
    overall = Rate.of(sum(row.verdicts[judge_id].success for row in rows), len(rows))
    return JudgeAggregate(judge=judge_id, judge_info=info, overall=overall, per_category=per_category)
