"""What ``refresh`` would change in one entry, and what it must leave to a human.

The rule that keeps human edits safe: **a field is changed only when its current value is the value
its recorded source gave.** A human edit is, by definition, a value that no recorded source gave, so
it is reported as a conflict and never overwritten.

* ``title`` / ``authors`` with an arXiv source ``<id>vK``: when arXiv now has a newer version N whose
  value differs, refresh reads vK itself; only if the file still holds vK's value does it take vN's
  (and the sources' refs and ``arxiv_version`` move to vN, all together). A file that holds neither
  vK's nor vN's value was edited by hand: conflict. A field whose source is not arXiv follows that
  source, and arXiv's differing value is only noted. A field without a source (or ``unverified``) is
  never changed: when it equals arXiv's value it gains the arXiv source (and leaves ``unverified``);
  when it differs, that is a conflict.
* ``venue`` (DBLP): the preprint placeholder ``arXiv'YY`` (or no venue), backed by arXiv or by no
  source, is replaced by DBLP's venue, with ``year`` following it. Any other venue that DBLP
  contradicts is a conflict; one that DBLP confirms gains the DBLP source if it had none.
* ``urls.code``: a repository that redirects elsewhere (renamed, moved) is followed when the link is
  the one its source names (an ``official-repo`` ref equal to it, or an arXiv listing); a link that
  answers 404/410 is a conflict and is never removed.
* ``citations`` belongs to refresh alone: it is replaced whenever the count (or its service) changed.
* A check date alone is never bumped: a field that is confirmed unchanged keeps its ``checked`` day,
  so a refresh that finds nothing new writes nothing.

Why not "the source's ``checked`` day is older than the file's last edit": a file's modification time
is the day of the checkout, and its git history is not always there (shallow clones, tarballs), so
that test would call every fresh clone a human edit, or none. Comparing values needs no history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lvlmkb.kb.contribute.arxiv_api import ArxivRecord
from lvlmkb.kb.refresh.lookups import CitationCount, LinkStatus, VenueHit
from lvlmkb.kb.schema import Paper
from lvlmkb.kb.schema.provenance import FieldSource
from lvlmkb.kb.venues import venue_year

ARXIV_FIELDS = ("title", "authors")
_REF_VERSION = re.compile(r"v(?P<version>\d{1,3})$")


@dataclass(frozen=True)
class Findings:
    """What the services said about one entry (None: not asked, or not known there)."""

    latest: ArxivRecord | None = None
    recorded: dict[str, ArxivRecord] = field(default_factory=dict)
    """Records of the versions the entry's sources name, by ``<id>v<K>``."""
    arxiv_asked: bool = False
    venue: VenueHit | None = None
    citations: CitationCount | None = None
    citations_asked: bool = False
    code: LinkStatus | None = None


@dataclass(frozen=True)
class Change:
    """One field refresh would write: ``path`` (one or two keys), the value now and the new one (None: removed)."""

    path: tuple[str, ...]
    old: Any
    new: Any
    reason: str


@dataclass
class EntryPlan:
    """The changes, conflicts and notes of one entry."""

    paper_id: str
    changes: list[Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def recorded_ref(paper: Paper, name: str) -> str | None:
    """The ``<id>vK`` that the arXiv source of ``name`` names, or None."""
    source = _sources(paper).get(name)
    if source is None or source.kind != "arxiv" or paper.arxiv is None:
        return None
    match = _REF_VERSION.search(source.ref)
    return f"{paper.arxiv}v{int(match.group('version'))}" if match else None


def asks_dblp(paper: Paper) -> bool:
    """Whether DBLP is asked about the venue: none yet, the preprint placeholder, or a venue without a source."""
    venue = paper.venue
    return venue is None or venue.startswith("arXiv'") or "venue" not in paper.sources or "venue" in paper.unverified


def versions_to_compare(paper: Paper, latest: ArxivRecord) -> list[str]:
    """The recorded versions refresh must read to decide whether arXiv's change may be taken."""
    refs = []
    for name in ARXIV_FIELDS:
        ref = recorded_ref(paper, name)
        if ref is not None and ref != latest.ref and not _same(getattr(paper, name), getattr(latest, name)):
            refs.append(ref)
    return sorted(set(refs))


class _Builder:
    """Collects the changes of one entry; sources and ``unverified`` are merged into single changes."""

    def __init__(self, paper: Paper, today: str) -> None:
        self.paper, self.today = paper, today
        self.plan = EntryPlan(paper.id)
        self.values: dict[tuple[str, ...], tuple[Any, Any, str]] = {}
        self.sources: dict[str, dict[str, str]] = {}
        self.verified: set[str] = set()

    def set(self, path: tuple[str, ...], old: Any, new: Any, reason: str) -> None:
        if old != new:
            self.values[path] = (old, new, reason)

    def source(self, name: str, kind: str, ref: str, via: str | None = None) -> None:
        entry = {"kind": kind, "ref": ref, "checked": self.today}
        self.sources[name] = {**entry, "via": via} if via else entry
        self.verified.add(name)

    def finish(self) -> EntryPlan:
        for path, (old, new, reason) in self.values.items():
            self.plan.changes.append(Change(path, old, new, reason))
        for name, new in self.sources.items():
            current = _sources(self.paper).get(name)
            old = current.model_dump(exclude_none=True) if current is not None else None
            if old != new:
                self.plan.changes.append(Change(("sources", name), old, new, f"confirmed at {new['kind']}"))
        unverified = [n for n in self.paper.unverified if n not in self.verified]
        if unverified != list(self.paper.unverified):
            self.plan.changes.append(
                Change(("unverified",), list(self.paper.unverified), unverified or None, "now sourced")
            )
        return self.plan


def plan_entry(paper: Paper, found: Findings, today: str) -> EntryPlan:
    """Apply the rules of this module to ``paper`` and what the services said."""
    builder = _Builder(paper, today)
    _arxiv(builder, found)
    _venue(builder, found.venue)
    _citations(builder, found)
    _code(builder, found.code)
    return builder.finish()


def _arxiv(b: _Builder, found: Findings) -> None:
    paper, latest = b.paper, found.latest
    if paper.arxiv is None or not found.arxiv_asked:
        return
    if latest is None:
        b.plan.notes.append(f"arXiv has no entry for {paper.arxiv}")
        return
    if latest.withdrawn:
        b.plan.conflicts.append(f"arXiv {latest.ref} says the paper is withdrawn: {latest.comment or latest.abstract}")
        return
    staged = _Builder(paper, b.today)
    blocked = False
    for name in ARXIV_FIELDS:
        blocked |= not _arxiv_field(staged, b.plan, name, latest, found.recorded)
    if blocked:
        return  # the arXiv fields move together (their refs must agree with arxiv_version), or not at all
    b.values.update(staged.values)
    b.sources.update(staged.sources)
    b.verified |= staged.verified
    if staged.sources:
        b.set(("arxiv_version",), paper.arxiv_version, latest.version, f"arXiv {latest.ref}")
    _date(b, latest)


def _arxiv_field(
    b: _Builder, plan: EntryPlan, name: str, latest: ArxivRecord, recorded: dict[str, ArxivRecord]
) -> bool:
    """Stage the change of one arXiv-backed field; return False on a conflict."""
    paper = b.paper
    current, new = getattr(paper, name), getattr(latest, name)
    source = _sources(paper).get(name)
    if name == "authors" and not current:
        return True  # not entered yet: `lvlmkb gaps` lists it; refresh does not fill fields in
    if source is not None and source.kind != "arxiv":
        if not _same(current, new):
            plan.notes.append(f"{name} follows {source.kind} {source.ref}; arXiv {latest.ref} has {_show(new)}")
        return True
    ref = recorded_ref(paper, name)
    if _same(current, new):
        if ref != latest.ref or name in paper.unverified:
            b.source(name, "arxiv", latest.ref)
        return True
    if ref is None:
        why = "is unverified" if name in paper.unverified else "has no arXiv source"
        plan.conflicts.append(f"{name}: the file's value {why} and differs from arXiv {latest.ref}: {_show(new)}")
        return False
    if ref == latest.ref:
        plan.conflicts.append(f"{name}: differs from arXiv {ref}, the version its source names (edited by hand?)")
        return False
    old = recorded.get(ref)
    if old is None:
        plan.conflicts.append(f"{name}: arXiv {ref}, which its source names, could not be read to compare")
        return False
    if not _same(current, getattr(old, name)):
        plan.conflicts.append(
            f"{name}: edited by hand (differs from {ref}, its source, and from {latest.ref}: {_show(new)})"
        )
        return False
    b.set((name,), current, new, f"arXiv {ref} -> {latest.ref}")
    b.source(name, "arxiv", latest.ref)
    return True


def _date(b: _Builder, latest: ArxivRecord) -> None:
    paper = b.paper
    if paper.date is None or ("date" in paper.sources and "date" not in paper.unverified):
        return
    if paper.date == latest.published:
        b.source("date", "arxiv", f"{paper.arxiv}v1")
    else:
        b.plan.notes.append(f"date {paper.date} is not arXiv's first version ({latest.published})")


def _venue(b: _Builder, hit: VenueHit | None) -> None:
    paper = b.paper
    if hit is None:
        return
    if not hit.canonical:
        b.plan.notes.append(f"DBLP lists it at {hit.venue!r} ({hit.year}, {hit.ref}); set the venue by hand")
        return
    source = _sources(paper).get("venue")
    unsourced = source is None or "venue" in paper.unverified
    if paper.venue == hit.venue:
        if unsourced:
            b.source("venue", "dblp", hit.ref)
        return
    placeholder = paper.venue is None or paper.venue.startswith("arXiv'")
    backed_by_preprint = unsourced or (source is not None and source.kind == "arxiv")
    year_free = "year" not in paper.sources or venue_year(hit.venue) == paper.year
    if placeholder and backed_by_preprint and year_free:
        b.set(("venue",), paper.venue, hit.venue, f"DBLP {hit.ref}")
        b.set(("year",), paper.year, venue_year(hit.venue) or hit.year, f"the year of {hit.venue}")
        b.source("venue", "dblp", hit.ref)
        return
    b.plan.conflicts.append(f"venue: the file says {paper.venue}, DBLP says {hit.venue} ({hit.ref}); not changed")


def _citations(b: _Builder, found: Findings) -> None:
    paper, count = b.paper, found.citations
    if count is None:
        if found.citations_asked:
            b.plan.notes.append("no citation count at Semantic Scholar or OpenAlex")
        return
    current = paper.citations
    if current is not None and (current.count, current.source) == (count.count, count.source):
        return
    old = current.model_dump() if current is not None else None
    new = {"count": count.count, "source": count.source, "checked": b.today}
    b.set(("citations",), old, new, f"{count.source}")


def _code(b: _Builder, link: LinkStatus | None) -> None:
    url = b.paper.urls.code
    if link is None or url is None:
        return
    if link.status == "missing":
        b.plan.conflicts.append(f"urls.code: {url} answers HTTP {link.http_status}; the repository may be gone")
    elif link.status == "unknown":
        b.plan.notes.append(f"urls.code: {url} answers HTTP {link.http_status}")
    elif link.status == "moved" and link.location:
        source = _sources(b.paper).get("urls.code")
        owned = source is not None and (
            source.kind == "arxiv" or source.ref.rstrip("/").lower() == url.rstrip("/").lower()
        )
        if owned and "urls.code" not in b.paper.unverified:
            b.set(("urls", "code"), url, link.location, f"{url} redirects (HTTP {link.http_status})")
            b.source("urls.code", "official-repo", link.location, f"redirect from {url}")
        else:
            b.plan.conflicts.append(f"urls.code: {url} redirects to {link.location}; its source does not name it")


def _sources(paper: Paper) -> dict[str, FieldSource]:
    return {str(name): source for name, source in paper.sources.items()}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return [" ".join(str(x).split()) for x in a] == [" ".join(str(x).split()) for x in b]
    return " ".join(str(a).split()) == " ".join(str(b).split())


def _show(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else repr(value)
