"""``lvlmkb refresh``: re-check entries online, show what would change, and write only with ``--write``.

Fault policy: **every lookup of every selected entry runs before anything is written.** A network
fault (a timeout, a refused connection, 429/5xx after the retries, a ``Retry-After`` over the limit)
or an unusable answer (malformed feed, non-UTF-8 or non-JSON body) aborts the run with
:class:`RefreshAbortedError`, and no file is touched. With ``--write``, each changed file is then
replaced atomically (:func:`lvlmkb.fsio.write_atomic`), after checking that no file changed on disk
since it was read; the edit touches only the lines of the changed fields
(:mod:`lvlmkb.kb.refresh.yamledit`), and the edited entry must validate as well as it did before.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from lvlmkb.errors import LvlmkbError, NotFoundError, UsageError, relpath
from lvlmkb.fsio import write_atomic
from lvlmkb.kb.checks import check_paper
from lvlmkb.kb.contribute.arxiv_api import ArxivLookupError, ArxivRecord, fetch_versions
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.load import parse_model
from lvlmkb.kb.refresh.lookups import CitationCount, citation_counts, code_link, dblp_venue
from lvlmkb.kb.refresh.plan import EntryPlan, Findings, asks_dblp, plan_entry, versions_to_compare
from lvlmkb.kb.refresh.yamledit import EditError, FieldEdit, apply_edits
from lvlmkb.kb.schema import Paper
from lvlmkb.kb.yamlio import YamlDocument, load_plain
from lvlmkb.netio import Http, ServiceAnswerError, ServiceUnavailableError

CHECKS = ("arxiv", "venue", "citations", "code")


class RefreshAbortedError(LvlmkbError):
    """A lookup failed; no file was written."""


class ChangedOnDiskError(LvlmkbError):
    """A paper file changed while refresh ran; no file was written."""


@dataclass(frozen=True)
class EntryResult:
    """One entry's plan and, when it changes, the file's new text."""

    paper_id: str
    display: str
    plan: EntryPlan
    old_text: str
    new_text: str | None = None
    problem: str | None = None
    """Why the changes cannot be written in place (they are then reported, not written)."""

    @property
    def diff(self) -> str:
        """The unified diff that ``--write`` applies."""
        if self.new_text is None:
            return ""
        lines = difflib.unified_diff(
            self.old_text.splitlines(keepends=True),
            self.new_text.splitlines(keepends=True),
            f"a/{self.display}",
            f"b/{self.display}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class RefreshReport:
    """What a run found; ``written`` lists the files it wrote (none without ``--write``)."""

    entries: list[EntryResult]
    notes: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[EntryResult]:
        """Entries with a change that can be written."""
        return [e for e in self.entries if e.new_text is not None]


def refresh(
    kb: KnowledgeBase,
    http: Http,
    today: dt.date,
    ids: list[str] | None = None,
    checks: Collection[str] = CHECKS,
    write: bool = False,
    log: Callable[[str], None] | None = None,
) -> RefreshReport:
    """Check the selected entries (all when ``ids`` is empty) and write the changes when ``write``.

    Raises:
        NotFoundError: an id is not a paper of the KB.
        UsageError: an unknown check.
        RefreshAbortedError: a lookup failed (nothing written).
        ChangedOnDiskError: a file changed meanwhile (nothing written).
    """
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        raise UsageError(f"unknown check(s): {', '.join(unknown)}", f"choose from {', '.join(CHECKS)}")
    papers = _select(kb, ids or [])
    try:
        found, notes = gather(http, papers, set(checks), log or (lambda _: None))
    except (ServiceUnavailableError, ServiceAnswerError, ArxivLookupError) as err:
        raise RefreshAbortedError(f"{err.message}; no file was changed", err.hint) from None
    day = today.isoformat()
    results = [_result(kb, paper, plan_entry(paper, found[paper.id], day)) for paper in papers]
    report = RefreshReport(results, notes)
    if write:
        report.written.extend(_write(kb, report.changed))
    return report


def gather(
    http: Http, papers: list[Paper], checks: set[str], log: Callable[[str], None]
) -> tuple[dict[str, Findings], list[str]]:
    """Ask every service the selected checks need, for every paper; return the findings by paper id."""
    latest: dict[str, ArxivRecord] = {}
    recorded: dict[str, ArxivRecord] = {}
    with_arxiv = [p for p in papers if p.arxiv]
    if "arxiv" in checks and with_arxiv:
        log(f"arXiv: {len(with_arxiv)} entries")
        latest = fetch_versions(http, sorted({p.arxiv for p in with_arxiv if p.arxiv}))
        refs = {ref for p in with_arxiv if p.arxiv in latest for ref in versions_to_compare(p, latest[p.arxiv])}
        if refs:
            log(f"arXiv: {len(refs)} recorded versions to compare")
            recorded = fetch_versions(http, sorted(refs))
    venues = {}
    asked = [p for p in papers if "venue" in checks and asks_dblp(p)]
    if asked:
        log(f"DBLP: {len(asked)} entries")
        venues = {p.id: dblp_venue(http, p.title) for p in asked}
    counts: dict[str, CitationCount] = {}
    notes: list[str] = []
    if "citations" in checks and papers:
        log(f"citations: {len(papers)} entries")
        counts, notes = citation_counts(http, papers)
    links = {}
    with_code = [p for p in papers if "code" in checks and p.urls.code]
    if with_code:
        log(f"code links: {len(with_code)} entries")
        links = {p.id: code_link(http, p.urls.code) for p in with_code if p.urls.code}
    findings = {
        p.id: Findings(
            latest=latest.get(p.arxiv) if p.arxiv else None,
            recorded=recorded,
            arxiv_asked="arxiv" in checks,
            venue=venues.get(p.id),
            citations=counts.get(p.id),
            citations_asked="citations" in checks,
            code=links.get(p.id),
        )
        for p in papers
    }
    return findings, notes


def _select(kb: KnowledgeBase, ids: list[str]) -> list[Paper]:
    if not ids:
        return [kb.papers[paper_id] for paper_id in sorted(kb.papers)]
    missing = [i for i in ids if i not in kb.papers]
    if missing:
        broken = [i for i in missing if i in kb.unloaded_papers]
        hint = "fix it first (lvlmkb validate)" if broken else "ids are file stems of papers/ (lvlmkb list)"
        raise NotFoundError(f"no loadable paper {', '.join(missing)}", hint)
    return [kb.papers[i] for i in dict.fromkeys(ids)]


def _result(kb: KnowledgeBase, paper: Paper, plan: EntryPlan) -> EntryResult:
    doc = kb.paper_docs[paper.id]
    display = relpath(doc.path, kb.project.root)
    if not plan.changes:
        return EntryResult(paper.id, display, plan, doc.text)
    try:
        text = apply_edits(doc.text, [FieldEdit(c.path, c.new) for c in plan.changes])
    except EditError as err:
        return EntryResult(paper.id, display, plan, doc.text, problem=err.message)
    problem = _new_problems(kb, paper, doc, text)
    if problem is not None:
        return EntryResult(paper.id, display, plan, doc.text, problem=problem)
    return EntryResult(paper.id, display, plan, doc.text, text)


def _new_problems(kb: KnowledgeBase, paper: Paper, doc: YamlDocument, text: str) -> str | None:
    """The first problem the edited entry has that the entry as it is does not (None: as valid as before)."""
    edited_doc = YamlDocument(doc.path, doc.display, load_plain(text), text)
    edited, problems = parse_model(edited_doc, Paper)
    if edited is None:
        return f"the edited entry would not load ({problems[0].message})"
    before = {(d.field, d.message) for d in check_paper(kb, paper) if d.severity == "error"}
    kb.papers[paper.id], kb.paper_docs[paper.id] = edited, edited_doc
    try:
        after = [d for d in check_paper(kb, edited) if d.severity == "error"]
    finally:
        kb.papers[paper.id], kb.paper_docs[paper.id] = paper, doc
    new = [d for d in after if (d.field, d.message) not in before]
    return f"the edited entry would not validate ({new[0].field}: {new[0].message})" if new else None


def _write(kb: KnowledgeBase, changed: list[EntryResult]) -> list[str]:
    for entry in changed:
        path = kb.paper_docs[entry.paper_id].path
        try:
            now = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            now = None
        if now != entry.old_text:
            raise ChangedOnDiskError(
                f"{entry.display} changed while refresh ran; no file was written", "run lvlmkb refresh again"
            )
    for entry in changed:
        assert entry.new_text is not None
        write_atomic(kb.paper_docs[entry.paper_id].path, entry.new_text)
    return [entry.display for entry in changed]
