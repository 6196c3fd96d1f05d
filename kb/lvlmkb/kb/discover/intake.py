"""``lvlmkb add-paper --from-queue ID``: a reviewed queue item becomes the input of add-paper.

The metadata is the one ``discover`` read at arXiv (no request is made); its arXiv sources are dated
the day it was read (the item's ``found``), so ``lvlmkb refresh ID`` is the way to re-check it later.
Command-line flags win over the reviewer's fields, which win over the rules' suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lvlmkb.kb.contribute.add import Metadata, Overrides, metadata_from_record
from lvlmkb.kb.contribute.arxiv_api import ArxivRecord, parse_arxiv_ref
from lvlmkb.kb.contribute.draft import refuse_duplicate
from lvlmkb.kb.discover.queue import QueueItem, load_queue, mark_added, queue_path, take_item
from lvlmkb.kb.knowledge import KnowledgeBase


@dataclass(frozen=True)
class QueuedChoices:
    """The classification a queue item brings (the reviewer's, else the suggestion's)."""

    kind: str | None = None
    category: str | None = None
    facets: dict[str, list[str]] = field(default_factory=dict)
    summary: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class QueuedPaper:
    """A queue item ready for add-paper."""

    path: Path
    item: QueueItem
    meta: Metadata
    choices: QueuedChoices


def from_queue(kb: KnowledgeBase, ref: str, given: Overrides) -> QueuedPaper:
    """Read item ``ref`` (an arXiv id or URL) of the queue and refuse it when it is already in the KB.

    Raises:
        QueueFileError, NotFoundError, UsageError: no usable item.
        DuplicatePaperError: the paper is already in the KB.
    """
    path = queue_path(kb.project.root)
    item = take_item(load_queue(path), parse_arxiv_ref(ref))
    record = ArxivRecord(
        arxiv_id=item.arxiv,
        title=item.title,
        authors=list(item.authors),
        published=item.published,
        abstract=item.abstract or "",
        comment=item.comment or "",
        journal_ref=item.journal_ref or "",
        code_links=[item.code] if item.code else [],
        version=item.version,
        updated=item.updated or "",
    )
    meta = metadata_from_record(record, given, checked=item.found)
    refuse_duplicate(kb, meta.arxiv_id, meta.title)
    suggested = item.suggested
    choices = QueuedChoices(
        kind=item.kind or (suggested.kind if suggested else None),
        category=item.category or (suggested.category if suggested else None),
        facets=dict(item.facets) if item.facets is not None else (dict(suggested.facets) if suggested else {}),
        summary=item.summary,
        notes=item.notes,
    )
    return QueuedPaper(path, item, meta, choices)


def mark_queued_added(queued: QueuedPaper, paper_id: str) -> None:
    """Mark the item ``added`` in the queue file once its entry is written."""
    mark_added(queued.path, queued.item.arxiv, paper_id)
