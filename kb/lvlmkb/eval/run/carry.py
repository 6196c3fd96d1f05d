"""Judges added to a finished run by ``lvlmkb rejudge`` survive a rerun of the same configuration.

Judges are not part of a run's configuration (judging can be redone on the same generations), so a rerun
writes the folder's record again. A judge that ``rejudge`` added, and the rerun does not ask for, keeps its
verdicts where the response is the one it read; if any response changed (a sample added, or a response
generated again), its verdicts no longer describe the run and it is dropped, by name, for the caller to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lvlmkb.eval.run.records import RecordError, RunRecord, SampleRecord, aggregate, read_record, read_samples


@dataclass(frozen=True)
class Carried:
    """The record and rows with the earlier ``rejudge`` judges kept, and the ids of those that could not be."""

    record: RunRecord
    rows: list[SampleRecord]
    dropped: tuple[str, ...] = field(default=())


def carry_rejudged(out: Path, record: RunRecord, rows: list[SampleRecord]) -> Carried:
    """Keep the judges ``lvlmkb rejudge`` added to the record in ``out`` where every response is unchanged."""
    try:
        previous = read_record(out / "run.json")
        before = {row.sample_id: row for row in read_samples(out / "samples.jsonl")}
    except (OSError, RecordError):
        return Carried(record, rows)
    asked = {agg.judge for agg in record.aggregates}
    added, dropped = [], []
    for agg in previous.aggregates:
        if agg.rejudged is None or agg.judge in asked:
            continue
        old = [before.get(row.sample_id) for row in rows]
        if not all(
            o is not None and o.response == row.response and agg.judge in o.verdicts
            for o, row in zip(old, rows, strict=True)
        ):
            dropped.append(agg.judge)
            continue
        rows = [
            row.model_copy(update={"verdicts": {**row.verdicts, agg.judge: o.verdicts[agg.judge]}})
            for o, row in zip(old, rows, strict=True)
            if o is not None
        ]
        added.append(aggregate(agg.judge, agg.judge_info, rows).model_copy(update={"rejudged": agg.rejudged}))
    if added:
        record = record.model_copy(update={"aggregates": [*record.aggregates, *added]})
    return Carried(record, rows, tuple(dropped))


def _same(old: SampleRecord | None, row: SampleRecord, judge: str) -> bool:
    """The earlier line read the same response and holds ``judge``'s verdict."""
    return old is not None and old.response == row.response and judge in old.verdicts
