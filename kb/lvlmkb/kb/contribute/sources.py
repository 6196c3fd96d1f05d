"""Provenance of a new entry: which field came from arXiv, which from a flag, and ``--source`` values.

``add-paper`` records a source for each field it read at arXiv (kind ``arxiv``, ref ``<id>v<N>``; the
date, which is the first version's, ``<id>v1``) and lists every field that only a command-line flag
gave in ``unverified``, unless the contributor names where they confirmed it with
``--source FIELD=KIND:REF``. A given source always wins over the automatic one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from lvlmkb.errors import UsageError

ARXIV_ORIGIN = "arxiv"
FLAG_ORIGIN = "flag"


@dataclass(frozen=True)
class GivenSource:
    """One ``--source FIELD=KIND:REF`` of the command line."""

    field: str
    kind: str
    ref: str


def parse_source_flags(items: list[str]) -> dict[str, GivenSource]:
    """Parse ``--source`` values; the last one for a field wins.

    Raises:
        UsageError: a value is not ``FIELD=KIND:REF``, or names an unknown field or kind.
    """
    from lvlmkb.kb.schema.provenance import SourcedField, SourceKind

    fields, kinds = get_args(SourcedField), get_args(SourceKind)
    found: dict[str, GivenSource] = {}
    for item in items:
        name, eq, rest = item.partition("=")
        kind, colon, ref = rest.partition(":")
        name, kind, ref = name.strip(), kind.strip(), ref.strip()
        if not (eq and colon and name and kind and ref):
            raise UsageError(
                f"--source {item!r} is not FIELD=KIND:REF",
                "e.g. --source venue=proceedings:https://openaccess.thecvf.com/... or title=arxiv:2311.05608v3",
            )
        if name not in fields:
            raise UsageError(f"--source names the unknown field {name!r}", f"fields: {', '.join(fields)}")
        if kind not in kinds:
            raise UsageError(f"--source {name}: {kind!r} is not a source kind", f"kinds: {', '.join(kinds)}")
        found[name] = GivenSource(name, kind, ref)
    return found


def provenance(
    fields: dict[str, Any],
    origins: dict[str, str],
    given: dict[str, GivenSource],
    arxiv_ref: str | None,
    today: str,
    arxiv_checked: str | None = None,
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """``sources`` and ``unverified`` for the entry's set ``fields`` (field name -> value, None when unset).

    ``origins`` says where each value came from (:data:`ARXIV_ORIGIN` or :data:`FLAG_ORIGIN`);
    ``arxiv_ref`` is the ``<id>v<N>`` that was read, on ``arxiv_checked`` (default ``today``, the day
    given sources are dated). Only fields that have a value get either, except the authors and the date
    every paper has: left unset, they are listed as unverified.
    """
    from lvlmkb.kb.checks import ALWAYS_KNOWN
    from lvlmkb.kb.schema.provenance import REQUIRED_SOURCED

    sources: dict[str, dict[str, str]] = {}
    unverified: list[str] = []
    for name, source in given.items():
        sources[name] = {"kind": source.kind, "ref": source.ref, "checked": today}
    for name in REQUIRED_SOURCED:
        if name in sources:
            continue
        if fields.get(name) in (None, "", []):
            if name in ALWAYS_KNOWN:
                unverified.append(name)  # every paper has authors and a date: not found, so said
            continue
        if origins.get(name) == ARXIV_ORIGIN and arxiv_ref is not None:
            ref = f"{arxiv_ref.rsplit('v', 1)[0]}v1" if name == "date" else arxiv_ref
            sources[name] = {"kind": "arxiv", "ref": ref, "checked": arxiv_checked or today}
        else:
            unverified.append(name)
    ordered = {name: sources[name] for name in _field_order() if name in sources}
    return ordered, unverified


def _field_order() -> tuple[str, ...]:
    from lvlmkb.kb.schema.provenance import SourcedField

    return get_args(SourcedField)
