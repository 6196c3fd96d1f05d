"""``lvlmkb discover``: search arXiv for new candidates, score them, and merge them into the review queue.

The queue file is read (and refused when broken) before any request, and written once, atomically,
after every search page arrived: a network fault or a malformed answer leaves it as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from lvlmkb.errors import UsageError
from lvlmkb.kb.checks import normalised_title
from lvlmkb.kb.contribute.arxiv_api import ArxivRecord, parse_entries, query_arxiv
from lvlmkb.kb.contribute.suggest import suggest
from lvlmkb.kb.discover.keywords import arxiv_query
from lvlmkb.kb.discover.queue import QueueItem, Suggested, load_queue, merge, queue_path, save_queue
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.netio import Http

PAGE_SIZE = 100
DEFAULT_WINDOW_DAYS = 30
MAX_RESULTS = 2000


@dataclass(frozen=True)
class DiscoverReport:
    """What one run found and did."""

    path: Path
    query: str
    since: str
    fetched: int
    known: int
    excluded: int
    withdrawn: int
    invalid: int
    new: int
    refreshed: int
    top: list[QueueItem]


def discover(
    kb: KnowledgeBase,
    http: Http,
    today: dt.date,
    since: str | None = None,
    extra: str | None = None,
    max_results: int = 100,
) -> DiscoverReport:
    """Search arXiv for papers submitted since ``since`` (default: the queue's last run, else 30 days ago).

    Raises:
        UsageError: a bad ``since`` or ``max_results``.
        QueueFileError: the queue file is broken (nothing is fetched).
        ArxivUnavailableError, ArxivLookupError: a search page failed (nothing is written).
    """
    if not 1 <= max_results <= MAX_RESULTS:
        raise UsageError(f"--max {max_results} is out of range", f"use 1 to {MAX_RESULTS}")
    path = queue_path(kb.project.root)
    queue = load_queue(path)
    start = _since(since, queue.last_run, today)
    query = arxiv_query(kb.taxonomy, start, today.isoformat(), extra)
    records = search(http, query, max_results)
    known_ids = {p.arxiv for p in kb.papers.values() if p.arxiv}
    known_titles = {normalised_title(p.title) for p in kb.papers.values()}
    excluded_ids = {e.arxiv for e in kb.excluded if e.arxiv}
    excluded_titles = {normalised_title(e.title) for e in kb.excluded}
    counts = {"known": 0, "excluded": 0, "withdrawn": 0, "invalid": 0}
    items: list[QueueItem] = []
    for record in records:
        title = normalised_title(record.title)
        if record.arxiv_id in known_ids or title in known_titles:
            counts["known"] += 1
        elif record.arxiv_id in excluded_ids or title in excluded_titles:
            counts["excluded"] += 1
        elif record.withdrawn:
            counts["withdrawn"] += 1
        elif (item := queue_item(kb, record, today.isoformat())) is None:
            counts["invalid"] += 1
        else:
            items.append(item)
    merged, new, refreshed = merge(queue, items, today.isoformat(), known_ids)
    save_queue(path, merged)
    top = sorted(items, key=lambda i: -i.score)[:10]
    return DiscoverReport(path, query, start, len(records), **counts, new=new, refreshed=refreshed, top=top)


def search(http: Http, query: str, max_results: int, page_size: int = PAGE_SIZE) -> list[ArxivRecord]:
    """Up to ``max_results`` records for ``query``, newest submissions first, one page per request.

    Raises:
        ArxivUnavailableError, ArxivLookupError: a page could not be fetched or parsed.
    """
    records: dict[str, ArxivRecord] = {}
    start = 0
    while start < max_results:
        size = min(page_size, max_results - start)
        params = {
            "search_query": query,
            "start": str(start),
            "max_results": str(size),
            "sortBy": "submittedDate",
            "sortOrder": "descending",
        }
        page = parse_entries(query_arxiv(http, params, "the search"), "the search")
        for record in page:
            records.setdefault(record.arxiv_id, record)
        if len(page) < size:
            break
        start += size
    return list(records.values())[:max_results]


def queue_item(kb: KnowledgeBase, record: ArxivRecord, today: str) -> QueueItem | None:
    """The queue item of ``record``, scored by the suggestion rules (None when arXiv's values do not fit)."""
    leaf_kinds = {leaf: kb.taxonomy.kind_of(leaf) or "" for leaf in kb.taxonomy.leaves}
    suggestion = suggest(record.title, record.abstract, leaf_kinds)
    suggested = (
        Suggested(
            category=suggestion.category,
            kind=kb.taxonomy.kind_of(suggestion.category),
            facets=suggestion.facets,
            matched=suggestion.matched[:20],
        )
        if suggestion
        else None
    )
    try:
        return QueueItem(
            arxiv=record.arxiv_id,
            version=record.version,
            title=record.title,
            authors=record.authors,
            published=record.published,
            updated=record.updated or None,
            comment=_clip(record.comment, 300),
            journal_ref=_clip(record.journal_ref, 300),
            code=record.code_links[0] if record.code_links else None,
            abstract=_clip(record.abstract, 2000),
            score=suggestion.score if suggestion else 0.0,
            suggested=suggested,
            found=today,
        )
    except ValidationError:
        return None


def _clip(text: str, limit: int) -> str | None:
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _since(given: str | None, last_run: str | None, today: dt.date) -> str:
    if given is None:
        return last_run or (today - dt.timedelta(days=DEFAULT_WINDOW_DAYS)).isoformat()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", given):
        raise UsageError(f"--since {given!r} is not a date", "use YYYY-MM-DD, e.g. --since 2026-11-01")
    try:
        day = dt.date.fromisoformat(given)
    except ValueError:
        raise UsageError(f"--since {given!r} is not a date", "use YYYY-MM-DD, e.g. --since 2026-11-01") from None
    if day > today:
        raise UsageError(f"--since {given} is in the future", f"use a day up to {today.isoformat()}")
    return given
