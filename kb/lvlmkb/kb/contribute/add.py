"""``lvlmkb add-paper`` without the prompts: metadata, classification, a checked entry, the file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lvlmkb.errors import UsageError
from lvlmkb.kb.contribute.arxiv_api import ArxivRecord, fetch_arxiv, parse_arxiv_ref
from lvlmkb.kb.contribute.draft import (
    WrittenPaper,
    check_id,
    checked_paper,
    propose_id,
    refuse_duplicate,
    refuse_undecodable,
    render_yaml,
    write_paper,
)
from lvlmkb.kb.contribute.sources import ARXIV_ORIGIN, FLAG_ORIGIN, GivenSource, provenance
from lvlmkb.kb.contribute.suggest import Suggestion, suggest
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.venues import normalise_venue

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Metadata:
    """Bibliographic facts of the new paper (from arXiv, from flags, or both)."""

    title: str
    authors: list[str]
    year: int
    arxiv_id: str | None = None
    date: str | None = None
    venue: str | None = None
    paper_url: str | None = None
    code_url: str | None = None
    abstract: str = ""
    arxiv_version: int | None = None
    origins: dict[str, str] = field(default_factory=dict)
    """Where each bibliographic value came from: ``arxiv`` or ``flag`` (see :mod:`lvlmkb.kb.contribute.sources`)."""
    checked: str | None = None
    """The day the arXiv values were read (None: today)."""
    given_sources: dict[str, GivenSource] = field(default_factory=dict)
    """``--source`` values: where the contributor confirmed a field (they win over the automatic sources)."""


@dataclass(frozen=True)
class Classification:
    """Where the paper sits in the taxonomy, and what the contributor says about it."""

    kind: str
    category: str
    summary: str
    facets: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    notes: str | None = None


@dataclass(frozen=True)
class Overrides:
    """Values given on the command line; they win over arXiv's."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    date: str | None = None
    venue: str | None = None
    code_url: str | None = None
    sources: dict[str, GivenSource] = field(default_factory=dict)
    """``--source FIELD=KIND:REF`` values: where the contributor confirmed a field."""


def gather_metadata(
    kb: KnowledgeBase,
    ref: str | None,
    overrides: Overrides,
    offline: bool = False,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Metadata:
    """Resolve the paper's metadata; refuse a duplicate before and after contacting arXiv.

    Raises:
        UsageError: missing offline fields, a bad reference, or a value that is not UTF-8 text.
        DuplicatePaperError: the paper is already in the KB.
        ArxivUnavailableError, ArxivLookupError: arXiv could not give the paper.
    """
    refuse_undecodable(asdict(overrides))
    arxiv_id = parse_arxiv_ref(ref) if ref else None
    refuse_duplicate(kb, arxiv_id, overrides.title)
    if arxiv_id is None or offline:
        meta = _offline_metadata(arxiv_id, overrides)
    else:
        meta = metadata_from_record(fetch_arxiv(arxiv_id, client=client, sleep=sleep), overrides)
    refuse_duplicate(kb, meta.arxiv_id, meta.title)
    return meta


def _offline_metadata(arxiv_id: str | None, given: Overrides) -> Metadata:
    missing = [name for name, value in (("--title", given.title), ("--year", given.year)) if not value]
    if not given.authors:
        missing.append("--authors")
    if missing:
        raise UsageError(
            f"without arXiv, {', '.join(missing)} must be given",
            "e.g. --offline --title 'A Title' --authors 'Ada Lovelace; Alan Turing' --year 2025",
        )
    assert given.title is not None and given.year is not None
    url = f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None
    origins = dict.fromkeys(("title", "authors", "date", "venue", "urls.code"), FLAG_ORIGIN)
    return Metadata(
        given.title,
        list(given.authors),
        given.year,
        arxiv_id,
        given.date,
        given.venue,
        url,
        given.code_url,
        origins=origins,
        given_sources=dict(given.sources),
    )


def metadata_from_record(record: ArxivRecord, given: Overrides, checked: str | None = None) -> Metadata:
    """Metadata from an arXiv record, flag values winning; ``checked`` is the day the record was read (None: today)."""
    code = given.code_url or (record.code_links[0] if record.code_links else None)

    def origin(flag: object) -> str:
        return FLAG_ORIGIN if flag else ARXIV_ORIGIN

    origins = {
        "title": origin(given.title),
        "authors": origin(given.authors),
        "date": origin(given.date),
        "venue": FLAG_ORIGIN,
        "urls.code": origin(given.code_url),
    }
    return Metadata(
        title=given.title or record.title,
        authors=list(given.authors) or record.authors,
        year=given.year or record.year,
        arxiv_id=record.arxiv_id,
        date=given.date or record.published,
        venue=given.venue,
        paper_url=record.url,
        code_url=code,
        abstract=record.abstract,
        arxiv_version=record.version,
        origins=origins,
        checked=checked,
        given_sources=dict(given.sources),
    )


def suggestion_for(kb: KnowledgeBase, meta: Metadata) -> Suggestion | None:
    """The keyword rules' proposal for this paper (None when no rule fires)."""
    leaf_kinds = {leaf: kb.taxonomy.kind_of(leaf) or "" for leaf in kb.taxonomy.leaves}
    return suggest(meta.title, meta.abstract, leaf_kinds)


def leaves_for(kb: KnowledgeBase, kind: str, phase: str | None) -> list[str]:
    """Leaves of ``kind`` (and ``phase`` when given), in taxonomy order."""
    taxonomy = kb.taxonomy
    return [
        leaf
        for leaf in taxonomy.leaves
        if taxonomy.kind_of(leaf) == kind and (phase is None or taxonomy.phase_of(leaf) == phase)
    ]


def entry_data(
    kb: KnowledgeBase, meta: Metadata, cls: Classification, paper_id: str, today: str | None = None
) -> dict[str, Any]:
    """The new file's fields; the phase follows from the category, provenance from where each value came from."""
    urls = {k: v for k, v in (("paper", meta.paper_url), ("code", meta.code_url)) if v}
    venue = normalise_venue(meta.venue) if meta.venue else None
    day = today or dt.date.today().isoformat()
    values = {"title": meta.title, "authors": meta.authors, "date": meta.date, "venue": venue}
    values["urls.code"] = meta.code_url
    arxiv_ref = f"{meta.arxiv_id}v{meta.arxiv_version}" if meta.arxiv_id and meta.arxiv_version else None
    sources, unverified = provenance(values, meta.origins, meta.given_sources, arxiv_ref, day, meta.checked)
    return {
        "id": paper_id,
        "title": meta.title,
        "authors": meta.authors,
        "year": meta.year,
        "venue": venue,
        "date": meta.date,
        "arxiv": meta.arxiv_id,
        "arxiv_version": meta.arxiv_version if arxiv_ref else None,
        "urls": urls,
        "kind": cls.kind,
        "phase": kb.taxonomy.phase_of(cls.category),
        "category": cls.category,
        "facets": {k: v for k, v in cls.facets.items() if v},
        "summary": cls.summary,
        "tags": cls.tags,
        "targets": cls.targets,
        "notes": cls.notes,
        "sources": sources,
        "unverified": unverified,
    }


def add_paper(
    kb: KnowledgeBase, meta: Metadata, cls: Classification, paper_id: str | None = None, today: str | None = None
) -> WrittenPaper:
    """Check the entry against the whole KB, then write ``papers/<id>.yaml`` (never over a file).

    Every required field the entry sets gets a source or an ``unverified`` entry
    (:func:`lvlmkb.kb.contribute.draft.checked_paper` refuses the entry otherwise).

    Raises:
        DraftInvalidError: the entry would not validate (nothing is written).
        DuplicatePaperError: the paper or the id is taken.
    """
    refuse_duplicate(kb, meta.arxiv_id, meta.title)
    chosen = paper_id or propose_id(meta.title, meta.authors, meta.year, set(kb.papers))
    check_id(chosen, kb)
    data = entry_data(kb, meta, cls, chosen, today)
    refuse_undecodable(data)
    text = render_yaml(data)
    paper = checked_paper(kb, text, chosen)
    return write_paper(kb, paper, text)


def next_steps(paper_id: str) -> list[str]:
    """What a contributor does after the file is written, up to the pull request."""
    return [
        f"git switch -c add-{paper_id}",
        "lvlmkb validate",
        "lvlmkb render readme",
        f"git add papers/{paper_id}.yaml README.md && git commit -m 'Add {paper_id}'",
        "push the branch and open a pull request",
    ]
