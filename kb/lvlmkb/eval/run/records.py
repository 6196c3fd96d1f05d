"""The run record: a JSON summary (``run.json``) plus one JSON line per sample (``samples.jsonl``).

The record is typed to its leaves (version 2). :func:`read_record` reads every version lvlmkb has written:
a version-1 record (sections as free mappings, the method's config and deviations beside it, provenance
flat) is upgraded on reading and says so in ``upgraded_from``; the file itself is never rewritten.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from lvlmkb.kb.schema.paper import ReportedResult

RECORD_VERSION = 2


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class VerdictRecord(_Record):
    """One judge's verdict on one response."""

    success: bool
    label: str
    rationale: str = ""


class QueryRecord(_Record):
    """One attempt of an attack in the loop: what it sent and how its feedback judge read the answer."""

    attempt: int
    request_key: str
    prompt_sha256: str
    label: str
    score: float | None = None
    kept: bool = Field(False, description="Whether this attempt's answer is the sample's response.")


class SampleRecord(_Record):
    """What was sent for one sample, what came back, and how each judge read it."""

    sample_id: str
    category: str
    request_key: str
    prompt_sha256: str
    image_sha256: list[str]
    prompt: str = Field(description="The prompt the attack crafted (before any defense).")
    response: str
    defense: dict[str, JsonValue] | None = Field(
        None, description="What the defense did to this sample: what it sent, its checks, its decision."
    )
    verdicts: dict[str, VerdictRecord]
    queries: list[QueryRecord] | None = Field(
        None, description="An attack in the loop: every attempt it made for this sample, in order."
    )


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
    judge_info: dict[str, JsonValue] = Field(description="The judge's own description: version, list or template hash.")
    rejudged: str | None = Field(
        None, description="When `lvlmkb rejudge` added this judge to the finished run (UTC); None: judged in the run."
    )
    overall: Rate
    per_category: dict[str, Rate]

    @property
    def metric(self) -> str:
        """What a success counts: ``ASR`` unless the judge says otherwise (MOSSBench's judge counts refusals)."""
        return str(self.judge_info.get("metric") or "ASR")

    @property
    def digest(self) -> str:
        """The sha256 of the judge's refusal list or prompt template ('' for a judge with neither)."""
        value = self.judge_info.get("list_sha256") or self.judge_info.get("template_sha256") or ""
        return str(value)


class DeviationInfo(_Record):
    """One way the plugin differs from the authors' code, and why."""

    what: str
    why: str


class PluginInfo(_Record):
    """The attack, benchmark or defense that ran: identity, the configuration as it took effect, deviations."""

    id: str
    version: str
    paper: str
    kind: Literal["attack", "benchmark", "defense"]
    setting: str = Field("", description="The configuration's name as papers report it (matched with their numbers).")
    config: dict[str, JsonValue]
    deviations: list[DeviationInfo]


class ModelInfo(_Record):
    """The model under test as the registry names it."""

    alias: str
    checkpoint: str | None
    revision: str | None
    backend: str


class DatasetInfo(_Record):
    """The dataset file that was read, by content hash."""

    name: str
    path: str
    data: str | None = Field(
        None, description="The --data the run was given (None: the pinned download), to load it again as it was."
    )
    sha256: str
    origin: dict[str, JsonValue] | None = Field(
        None,
        description="For a dataset fetched from the Hugging Face hub: repository, revision, and the values not "
        "confirmed before the first download (with the date they were first seen).",
    )
    samples: int = Field(description="Rows in the dataset (before --limit).")
    limit: int | None


class GenerationInfo(_Record):
    """Decoding settings and the batch size."""

    max_new_tokens: int
    temperature: float
    top_p: float
    seed: int
    batch_size: int


class GitState(_Record):
    """The checkout's commit and whether tracked files were changed (None: not a git checkout)."""

    commit: str | None
    dirty: bool | None


class Provenance(_Record):
    """Where the run happened: package versions, the checkout, Python, the platform, and the plugin's own facts."""

    packages: dict[str, str | None]
    git: GitState
    python: str
    platform: str
    plugin: dict[str, str] = Field(
        default_factory=dict, description="What the plugin's output depends on (a font's hash, an optimisation run)."
    )


class Counts(_Record):
    """How many samples were judged and where their generations came from."""

    samples: int
    unique_requests: int
    generated: int | None = Field(None, description="Requests answered by the (defended) model in this invocation.")
    model_requests: int | None = Field(
        None, description="Requests the model itself received in this invocation, a defense's own checks included."
    )
    from_shared_cache: int | None = Field(None, description="Generations taken from the cache shared across runs.")


class ReportedNumber(ReportedResult):
    """A number a paper published for this model (as the KB states it), stored beside ours with its paper."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    paper: str


class RunRecord(_Record):
    """Everything needed to reproduce, audit and compare a run."""

    record_version: Literal[2] = 2
    upgraded_from: Literal[1] | None = Field(None, description="The version of the file this record was read from.")
    created: str
    method: PluginInfo
    defense: PluginInfo | None = None
    model: ModelInfo
    backend: dict[str, JsonValue] = Field(description="The backend's own description (name, checkpoint, versions).")
    dataset: DatasetInfo
    generation: GenerationInfo
    provenance: Provenance
    counts: Counts
    aggregates: list[JudgeAggregate]
    reported: list[ReportedNumber] = Field(default_factory=list)
    fingerprint: str | None = Field(default=None, description="sha256 of the run's configuration (config.json).")


ENVIRONMENT_KEYS = ("packages", "git", "python", "platform")


class RecordError(ValueError):
    """A ``run.json`` that is not a run record of any version lvlmkb reads."""


def read_record(path: Path) -> RunRecord:
    """The run record in ``path``, of any version (a version-1 record is upgraded in memory).

    Raises:
        RecordError: the file is not JSON, or not a record of a known version.
        OSError: the file cannot be read.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RecordError(f"{path.name} is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise RecordError(f"{path.name} is not a JSON object")
    version = data.get("record_version", 1)
    try:
        if version == 1:
            return RunRecord.model_validate(upgrade_v1(data))
        if version == RECORD_VERSION:
            return RunRecord.model_validate(data)
    except ValidationError as err:
        raise RecordError(
            f"{path.name} is not a valid version-{version} run record: {err.error_count()} problem(s)"
        ) from err
    raise RecordError(f"{path.name} has record_version {version!r}, which this lvlmkb does not know")


def read_samples(path: Path) -> list[SampleRecord]:
    """The per-sample lines of ``samples.jsonl``, in order.

    Raises:
        RecordError: a line that is not a sample record (``path:line: ...``).
        OSError: the file cannot be read.
    """
    rows = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise RecordError(f"{path.name} is not UTF-8 text") from err
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            rows.append(SampleRecord.model_validate_json(line))
        except ValidationError as err:
            raise RecordError(f"{path.name}:{number}: not a sample record ({err.error_count()} problem(s))") from err
    return rows


def upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 record's data in the version-2 shape (nothing is dropped; unknown keys still fail validation)."""
    upgraded = {key: value for key, value in data.items() if key not in {"config", "deviations"}}
    method = data.get("method")
    if isinstance(method, dict):
        method = {**method, "config": data.get("config", {}), "deviations": data.get("deviations", [])}
        method["version"] = str(method.get("version", ""))
    upgraded["method"] = method
    defense = data.get("defense")
    if isinstance(defense, dict):
        upgraded["defense"] = {"kind": "defense", **defense}
    provenance = data.get("provenance")
    if isinstance(provenance, dict):
        plugin = {key: str(value) for key, value in provenance.items() if key not in ENVIRONMENT_KEYS}
        upgraded["provenance"] = {
            **{key: provenance[key] for key in ENVIRONMENT_KEYS if key in provenance},
            "plugin": plugin,
        }
    upgraded["record_version"], upgraded["upgraded_from"] = RECORD_VERSION, 1
    return upgraded


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95 % Wilson score interval for a binomial proportion."""
    if n == 0:
        return (0.0, 0.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def aggregate(judge_id: str, info: dict[str, JsonValue], rows: list[SampleRecord]) -> JudgeAggregate:
    """ASR of one judge over the rows, overall and per category."""
    by_category: dict[str, list[bool]] = {}
    for row in rows:
        by_category.setdefault(row.category, []).append(row.verdicts[judge_id].success)
    per_category = {c: Rate.of(sum(v), len(v)) for c, v in sorted(by_category.items())}
    overall = Rate.of(sum(row.verdicts[judge_id].success for row in rows), len(rows))
    return JudgeAggregate(judge=judge_id, judge_info=info, overall=overall, per_category=per_category)
