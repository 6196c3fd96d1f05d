"""Judging a finished run again with other judges: no model call for the target, nothing generated.

The judges read exactly what they would have read in the run: each sample (reloaded from the dataset the
run recorded, checked against its sha256), the crafted prompt and the response, both kept in
``samples.jsonl``. Their verdicts are added to every sample line and their aggregates to ``run.json``,
marked with when they were added; the judges already there keep theirs. Both files are written
atomically, samples first, so an interrupted rejudge is simply run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import load_plugins
from lvlmkb.eval.run.preflight import check_judges
from lvlmkb.eval.run.records import RecordError, RunRecord, SampleRecord, aggregate, read_record, read_samples
from lvlmkb.eval.run.runner import make_judges, verdicts_of
from lvlmkb.fsio import write_atomic


@dataclass(frozen=True)
class RejudgeResult:
    """The updated record and the judges this call added."""

    record: RunRecord
    added: list[str]


def rejudge_run(
    ctx: RunContext,
    folder: Path,
    judge_ids: Sequence[str],
    judge_model: str | None = None,
    judge_settings: dict[str, Any] | None = None,
    data: Path | None = None,
) -> RejudgeResult:
    """Add the verdicts of ``judge_ids`` to the finished run in ``folder``.

    ``data`` is a local copy of the run's dataset when the file it recorded is gone; it must hash the same.

    Raises:
        NotFoundError: ``folder`` holds no run.
        UsageError: a judge is unknown, named twice, already in the run, or needs a model; the dataset changed.
        DatasetError: the dataset cannot be loaded again (pass ``data``).
    """
    record, rows = _read_run(folder)
    if not judge_ids:
        raise UsageError("rejudge needs at least one --judge", "e.g. --judge refusal-gcg-advbench-29")
    if len(set(judge_ids)) != len(judge_ids):
        raise UsageError("a --judge is named twice", "name each judge once")
    present = {agg.judge for agg in record.aggregates}
    if already := sorted(set(judge_ids) & present):
        raise UsageError(
            f"{folder} is already judged by {', '.join(already)}", "its verdicts stay; name only new judges"
        )
    check_judges(list(judge_ids), judge_model, judge_settings)
    if judge_model is not None:
        ctx.check_model(judge_model, "judge")
    samples = _samples_of(ctx, record, data)
    missing = [row.sample_id for row in rows if row.sample_id not in samples]
    if missing:
        raise UsageError(f"the dataset has no sample {missing[0]!r} of the run", "pass --data PATH to the run's copy")
    judges = make_judges(ctx, judge_ids, judge_model, judge_settings or {})
    updated = [
        _with_verdicts(row, verdicts_of(judges, samples[row.sample_id], row.prompt, row.response)) for row in rows
    ]
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    added = [aggregate(j.id, j.describe(), updated).model_copy(update={"rejudged": when}) for j in judges]
    record = record.model_copy(update={"aggregates": [*record.aggregates, *added]})
    write_atomic(folder / "samples.jsonl", "".join(row.model_dump_json() + "\n" for row in updated))
    write_atomic(folder / "run.json", record.model_dump_json(indent=2) + "\n")
    return RejudgeResult(record, [j.id for j in judges])


def _read_run(folder: Path) -> tuple[RunRecord, list[SampleRecord]]:
    """The run's record and sample lines, or a clean error naming what is wrong."""
    record_path, samples_path = folder / "run.json", folder / "samples.jsonl"
    if not record_path.is_file() or not samples_path.is_file():
        raise NotFoundError(f"no finished run in {folder}", "pass a run folder, as `lvlmkb runs` lists them")
    try:
        return read_record(record_path), read_samples(samples_path)
    except (OSError, RecordError) as err:
        raise UsageError(f"{folder}: {err}", "rerun the reproduction to rewrite its record") from err


def _samples_of(ctx: RunContext, record: RunRecord, data: Path | None) -> dict[str, Sample]:
    """The run's dataset by sample id, loaded as the run loaded it (or from ``data``), if it still hashes the same.

    A record of an older lvlmkb names only the path its loader returned, which is tried instead.
    """
    load_plugins(ctx.reproductions_dir)
    given = record.dataset.data if "data" in record.dataset.model_fields_set else record.dataset.path
    source = data if data is not None else (Path(given) if given is not None else None)
    loaded = load_dataset(record.dataset.name, source)
    if loaded.sha256 != record.dataset.sha256:
        raise UsageError(
            f"{source or 'the pinned download'} is not the dataset the run read "
            f"(sha256 {loaded.sha256[:12]}, the run's {record.dataset.sha256[:12]})",
            "pass --data PATH to the copy the run read",
        )
    return {sample.id: sample for sample in loaded.samples}


def _with_verdicts(row: SampleRecord, verdicts: dict[str, Any]) -> SampleRecord:
    """The sample line with ``verdicts`` added beside the ones it has."""
    return row.model_copy(update={"verdicts": {**row.verdicts, **verdicts}})
