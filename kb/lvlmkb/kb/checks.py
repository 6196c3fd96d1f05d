"""Cross-reference checks over a loaded knowledge base (the part of validation after schema)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable

import networkx as nx

from lvlmkb.errors import Diagnostic, relpath
from lvlmkb.kb.graph import RELATION_FIELDS, taxonomy_graph
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.schema import REQUIRED_SOURCED, Paper
from lvlmkb.kb.venues import venue_year

MIN_YEAR = 2015


def check_kb(kb: KnowledgeBase) -> list[Diagnostic]:
    """Run every cross-reference check and return the problems found."""
    found = check_taxonomy(kb)
    for paper in kb.papers.values():
        found += check_paper(kb, paper)
    found += check_duplicates(kb)
    found += check_extends_acyclic(kb)
    found += check_exclusions(kb)
    return found + _skipped_notes(kb)


def _skipped_notes(kb: KnowledgeBase) -> list[Diagnostic]:
    """One warning per part whose checks were skipped because a file of it did not load."""
    where = {"models": kb.project.models_file, "taxonomy": kb.project.taxonomy_dir}
    return [
        Diagnostic(relpath(where[part], kb.project.root), 0, "", SKIPPED[part], "warning")
        for part in sorted(kb.unloaded_parts)
    ]


SKIPPED = {
    "models": "model references in papers were not checked, because this file did not load",
    "taxonomy": "categories, facets and parents were not checked, because a taxonomy file did not load",
}


def check_taxonomy(kb: KnowledgeBase) -> list[Diagnostic]:
    """Parents exist, no cycles, kinds on roots only, every node reachable from a root."""
    taxonomy = kb.taxonomy
    found: list[Diagnostic] = []
    if "taxonomy" in kb.unloaded_parts:
        return found
    for node_id, node in taxonomy.nodes.items():
        if node.parent is not None and node.parent not in taxonomy.nodes:
            found.append(_node_diag(kb, node_id, "parent", f"unknown parent '{node.parent}'"))
        if node.parent is None and node.kind is None:
            found.append(_node_diag(kb, node_id, "kind", "a root node must declare its kind"))
        if node.parent is not None and node.kind is not None:
            found.append(_node_diag(kb, node_id, "kind", "only root nodes declare a kind"))
    graph = taxonomy_graph(taxonomy)
    for cycle in nx.simple_cycles(graph):
        path = " -> ".join([*cycle, cycle[0]])
        found.append(_node_diag(kb, cycle[0], "parent", f"parent cycle: {path}"))
    reachable = {n for root in taxonomy.roots for n in nx.descendants(graph, root) | {root}}
    for node_id in taxonomy.nodes:
        if node_id not in reachable:
            found.append(_node_diag(kb, node_id, "parent", f"node '{node_id}' is not reachable from any root"))
    return found


def _node_diag(kb: KnowledgeBase, node_id: str, field: str, message: str) -> Diagnostic:
    doc, index = kb.node_docs[node_id]
    return doc.diagnostic(("nodes", index, field), message, field)


def check_paper(kb: KnowledgeBase, paper: Paper, strict_sources: bool = False) -> list[Diagnostic]:
    """All reference and plausibility checks of one paper.

    A required field with neither a source nor an ``unverified`` entry is a warning for files in the
    KB, and an error with ``strict_sources`` (the check of entries that ``add-paper`` writes).
    """
    doc = kb.paper_docs[paper.id]
    problems: list[tuple[tuple[str | int, ...], str]] = []
    problems += _category_problems(kb, paper)
    problems += _facet_problems(kb, paper)
    problems += _reference_problems(kb, paper)
    problems += _date_problems(paper)
    problems += _venue_problems(paper)
    problems += _code_link_problems(paper)
    problems += provenance_problems(paper)
    found = [doc.diagnostic(loc, message) for loc, message in problems] + _arxiv_date_diagnostics(kb, paper)
    missing = [doc.diagnostic(loc, message) for loc, message in missing_sources(paper)]
    if strict_sources:
        return found + missing
    return found + [Diagnostic(d.path, d.line, d.field, d.message, "warning") for d in missing]


Problem = tuple[tuple[str | int, ...], str]


def _suggest(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _category_problems(kb: KnowledgeBase, paper: Paper) -> list[Problem]:
    taxonomy = kb.taxonomy
    if "taxonomy" in kb.unloaded_parts:
        return []
    if not taxonomy.is_leaf(paper.category):
        what = "an inner node, not a leaf" if paper.category in taxonomy.nodes else "not a taxonomy leaf"
        leaves = [leaf for leaf in taxonomy.leaves if taxonomy.kind_of(leaf) == paper.kind]
        return [(("category",), f"'{paper.category}' is {what}{_suggest(paper.category, leaves)}")]
    problems: list[Problem] = []
    kind, phase = taxonomy.kind_of(paper.category), taxonomy.phase_of(paper.category)
    if kind != paper.kind:
        problems.append((("kind",), f"'{paper.kind}' does not match category '{paper.category}' (a {kind})"))
    if phase != paper.phase:
        expected = f"'{phase}'" if phase else "absent (evaluations have no phase)"
        problems.append(
            (("phase",), f"'{paper.phase}' does not match category '{paper.category}': expected {expected}")
        )
    return problems


def _facet_problems(kb: KnowledgeBase, paper: Paper) -> list[Problem]:
    problems: list[Problem] = []
    if "taxonomy" in kb.unloaded_parts:
        return problems
    for facet_id, values in paper.facets.items():
        allowed = kb.taxonomy.facet_values(facet_id)
        if not allowed:
            problems.append(
                (("facets", facet_id), f"unknown facet '{facet_id}'{_suggest(facet_id, kb.taxonomy.facets)}")
            )
            continue
        for index, value in enumerate(values):
            if value not in allowed:
                message = f"'{value}' is not a value of facet '{facet_id}'{_suggest(value, allowed)}"
                problems.append((("facets", facet_id, index), message))
    return problems


def _reference_problems(kb: KnowledgeBase, paper: Paper) -> list[Problem]:
    """Models, papers and modules the entry names exist.

    A name that points at a file which did not load is not reported again: that file's own error is
    the cause, and one broken file must not flood the output with follow-on problems.
    """
    problems: list[Problem] = []
    check_models = "models" not in kb.unloaded_parts
    for index, target in enumerate(paper.targets):
        if check_models and target not in kb.models:
            message = f"unknown model '{target}'{_suggest(target, kb.models)} (see reproductions/models.yaml)"
            problems.append((("targets", index), message))
    for index, result in enumerate(paper.reported_results):
        if check_models and result.model not in kb.models:
            problems.append(
                (
                    ("reported_results", index, "model"),
                    f"unknown model '{result.model}'{_suggest(result.model, kb.models)}",
                )
            )
    for name in RELATION_FIELDS:
        for index, other in enumerate(getattr(paper.relations, name)):
            if other == paper.id:
                problems.append((("relations", name, index), "a paper cannot relate to itself"))
            elif other not in kb.papers and other not in kb.unloaded_papers:
                problems.append((("relations", name, index), f"unknown paper '{other}'{_suggest(other, kb.papers)}"))
    for index, method in enumerate(paper.reproductions):
        if method not in kb.reproductions:
            message = f"no plugin '{method}' in reproductions/{_suggest(method, kb.reproductions)}"
            problems.append((("reproductions", index), message))
    return problems


def _date_problems(paper: Paper) -> list[Problem]:
    problems: list[Problem] = []
    this_year = dt.date.today().year
    if not MIN_YEAR <= paper.year <= this_year + 1:
        problems.append((("year",), f"{paper.year} is implausible (expected {MIN_YEAR}-{this_year + 1})"))
    if paper.date is not None:
        try:
            parts = [int(p) for p in paper.date.split("-")]
            dt.date(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)
        except ValueError:
            problems.append((("date",), f"'{paper.date}' is not a calendar date"))
            return problems
        if parts[0] > paper.year:
            problems.append((("date",), f"first version ({paper.date}) is after the venue year {paper.year}"))
    return problems


def _field_is_set(paper: Paper, field: str) -> bool:
    if field.startswith("urls."):
        return getattr(paper.urls, field.removeprefix("urls.")) is not None
    value = getattr(paper, field)
    return value not in (None, [], "")


ALWAYS_KNOWN = ("authors", "date")
"""Fields every paper has: left empty, they are listed in ``unverified`` (not found), never left silent."""


def missing_sources(paper: Paper) -> list[Problem]:
    """Required fields the paper sets but neither sources nor lists as unverified, and unset ones not listed."""
    unverified = set(paper.unverified)
    problems: list[Problem] = [
        (("sources",), f"'{field}' has no source; add sources.{field} or list it in unverified")
        for field in REQUIRED_SOURCED
        if _field_is_set(paper, field) and field not in paper.sources and field not in unverified
    ]
    problems += [
        ((field,), f"'{field}' is not set; fill it from a source, or list it in unverified if none was found")
        for field in ALWAYS_KNOWN
        if not _field_is_set(paper, field) and field not in unverified
    ]
    return problems


_ARXIV_REF = re.compile(r"^(?P<id>.+?)v(?P<version>\d+)$")


def provenance_problems(paper: Paper) -> list[Problem]:
    """Sources and ``unverified`` agree with each other and with the fields they describe."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, field in enumerate(paper.unverified):
        if field in paper.sources:
            problems.append((("unverified", index), f"'{field}' is both sourced and listed as unverified"))
        if field in seen:
            problems.append((("unverified", index), f"'{field}' is listed twice"))
        seen.add(field)
    today = dt.date.today().isoformat()
    for field, source in paper.sources.items():
        if not _field_is_set(paper, field):
            problems.append((("sources", field), f"a source for '{field}', which the entry does not set"))
        if len(source.checked) != 10 or source.checked > today:
            problems.append((("sources", field, "checked"), f"'{source.checked}' is not a past day (YYYY-MM-DD)"))
        if source.kind == "arxiv":
            problems += _arxiv_ref_problems(paper, field, source.ref)
    return problems


def _arxiv_ref_problems(paper: Paper, field: str, ref: str) -> list[Problem]:
    loc: tuple[str | int, ...] = ("sources", field, "ref")
    bare = ref.removeprefix("https://arxiv.org/abs/").removeprefix("arXiv:")
    match = _ARXIV_REF.match(bare)
    if match is None:
        return [(loc, f"an arXiv source names its version, e.g. '{paper.arxiv or '2311.05608'}v1'")]
    if paper.arxiv is not None and match.group("id") != paper.arxiv:
        return [(loc, f"arXiv {match.group('id')} is not the paper's arXiv id {paper.arxiv}")]
    version = int(match.group("version"))
    if field in ("title", "authors") and paper.arxiv_version is not None and version != paper.arxiv_version:
        return [(loc, f"{field} follows v{version}, but arxiv_version says v{paper.arxiv_version}")]
    return []


def _venue_problems(paper: Paper) -> list[Problem]:
    if paper.venue is None:
        return []
    year = venue_year(paper.venue)
    if year is not None and year != paper.year:
        return [(("year",), f"{paper.year} does not agree with the venue {paper.venue} ({year})")]
    return []


_GITHUB = re.compile(
    r"^https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)(?P<path>/[^?#]*)?", re.IGNORECASE
)
_NOT_REPOSITORY = frozenset({"orgs", "users", "sponsors", "topics", "settings", "explore", "features"})


def _code_link_problems(paper: Paper) -> list[Problem]:
    """A code link on a forge names a repository (owner/name), not a user or organisation profile."""
    url = paper.urls.code
    match = _GITHUB.match(url) if url else None
    if url is None or match is None:
        return []
    parts = [p for p in (match.group("path") or "").split("/") if p]
    if "huggingface.co" in url.lower():
        parts = parts[1:] if parts and parts[0] in ("spaces", "datasets") else parts
    if len(parts) < 2 or parts[0].lower() in _NOT_REPOSITORY:
        return [(("urls", "code"), f"{url} is a profile or listing, not a repository (expected OWNER/REPO)")]
    return []


def _arxiv_month_gap(paper: Paper) -> int:
    """Months between the paper's date and the month its arXiv id was assigned (positive: date earlier)."""
    if not (paper.arxiv and paper.date and re.match(r"^\d{4}\.", paper.arxiv)):
        return 0
    arxiv_months = (2000 + int(paper.arxiv[:2])) * 12 + int(paper.arxiv[2:4])
    date_months = int(paper.date[:4]) * 12 + int(paper.date[5:7])
    return arxiv_months - date_months


def _arxiv_date_diagnostics(kb: KnowledgeBase, paper: Paper) -> list[Diagnostic]:
    gap = _arxiv_month_gap(paper)
    if gap <= 0 or paper.arxiv is None:
        return []
    doc = kb.paper_docs[paper.id]
    message = f"{paper.date} is before arXiv {paper.arxiv} was assigned (20{paper.arxiv[:2]}-{paper.arxiv[2:4]})"
    if gap == 1:
        warning = doc.diagnostic(("date",), message + "; a submission late in a month can get the next month's id")
        return [Diagnostic(warning.path, warning.line, warning.field, warning.message, "warning")]
    return [doc.diagnostic(("date",), message)]


def normalised_title(title: str) -> str:
    """Lowercase the title and keep only a-z and 0-9, the rule used to spot duplicates."""
    return re.sub(r"[^a-z0-9]", "", title.lower())


def check_duplicates(kb: KnowledgeBase) -> list[Diagnostic]:
    """Two files for one paper: same arXiv id or same normalised title."""
    found: list[Diagnostic] = []
    by_arxiv: dict[str, str] = {}
    by_title: dict[str, str] = {}
    for paper in sorted(kb.papers.values(), key=lambda p: p.id):
        doc = kb.paper_docs[paper.id]
        if paper.arxiv:
            first = by_arxiv.setdefault(paper.arxiv, paper.id)
            if first != paper.id:
                found.append(doc.diagnostic(("arxiv",), f"arXiv {paper.arxiv} is also papers/{first}.yaml"))
        first = by_title.setdefault(normalised_title(paper.title), paper.id)
        if first != paper.id:
            found.append(doc.diagnostic(("title",), f"same title as papers/{first}.yaml"))
    return found


def check_extends_acyclic(kb: KnowledgeBase) -> list[Diagnostic]:
    """``extends`` must form a DAG: a paper cannot build on its own descendants."""
    edges = [(p.id, other) for p in kb.papers.values() for other in p.relations.extends if other != p.id]
    graph = nx.DiGraph(edges)
    found: list[Diagnostic] = []
    for cycle in nx.simple_cycles(graph):
        first = cycle[0]
        path = " -> ".join([*cycle, first])
        found.append(kb.paper_docs[first].diagnostic(("relations", "extends"), f"extends cycle: {path}"))
    return found


def check_exclusions(kb: KnowledgeBase) -> list[Diagnostic]:
    """A left-out paper is neither in the KB nor listed twice."""
    doc = kb.excluded_doc
    if doc is None:
        return []
    by_arxiv = {p.arxiv: p.id for p in kb.papers.values() if p.arxiv}
    by_title = {normalised_title(p.title): p.id for p in kb.papers.values()}
    seen: dict[str, int] = {}
    found: list[Diagnostic] = []
    rules = {rule.id for rule in kb.taxonomy.scope.exclude} if kb.taxonomy.scope else set()
    for index, entry in enumerate(kb.excluded):
        if entry.rule is not None and entry.rule not in rules:
            message = f"'{entry.rule}' is not an exclusion of taxonomy/scope.yaml{_suggest(entry.rule, rules)}"
            found.append(doc.diagnostic(("excluded", index, "rule"), message))
        title = normalised_title(entry.title)
        paper_id = by_arxiv.get(entry.arxiv or "") or by_title.get(title)
        if paper_id is not None:
            found.append(
                doc.diagnostic(("excluded", index, "title"), f"excluded, yet in the KB as papers/{paper_id}.yaml")
            )
        key = entry.arxiv or title
        if key in seen:
            found.append(doc.diagnostic(("excluded", index, "title"), f"listed twice (also entry {seen[key] + 1})"))
        seen.setdefault(key, index)
    return found
