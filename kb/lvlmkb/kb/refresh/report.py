"""The text ``lvlmkb refresh`` prints: per entry its changes, conflicts, notes and the diff ``--write`` applies."""

from __future__ import annotations

from typing import Any

from lvlmkb.kb.refresh.plan import Change
from lvlmkb.kb.refresh.run import EntryResult, RefreshReport


def report_lines(report: RefreshReport, write: bool, show_diff: bool = True) -> list[str]:
    """Lines for the terminal: one section per entry that has something to say, then a summary."""
    lines: list[str] = [f"note: {note}" for note in report.notes]
    for entry in report.entries:
        lines += _entry_lines(entry, show_diff)
    lines.append(_summary(report, write))
    return lines


def _entry_lines(entry: EntryResult, show_diff: bool) -> list[str]:
    plan = entry.plan
    if not (plan.changes or plan.conflicts or plan.notes):
        return []
    lines = [f"{entry.display} ({entry.paper_id})"]
    lines += [f"  ~ {_change(change)}" for change in plan.changes]
    lines += [f"  ! conflict: {conflict}" for conflict in plan.conflicts]
    if entry.problem:
        lines.append(f"  ! not written: {entry.problem}")
    lines += [f"  - note: {note}" for note in plan.notes]
    if show_diff and entry.diff:
        lines += ["    " + line for line in entry.diff.rstrip("\n").split("\n")]
    return lines


def _change(change: Change) -> str:
    name = ".".join(change.path)
    return f"{name}: {_show(change.old)} -> {_show(change.new)}  ({change.reason})"


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _summary(report: RefreshReport, write: bool) -> str:
    conflicts = sum(len(e.plan.conflicts) + bool(e.problem) for e in report.entries)
    changed = len(report.changed)
    count = len(report.entries)
    head = f"{count} {'entry' if count == 1 else 'entries'} checked: {changed} to change, {conflicts} conflict(s)"
    if write:
        return f"{head}; wrote {len(report.written)} file(s)"
    tail = "; run again with --write to apply" if changed else ""
    return f"{head}; nothing written (dry run){tail}"
