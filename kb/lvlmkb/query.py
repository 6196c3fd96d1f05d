"""Filtering and counting papers for the query commands."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.kb import KnowledgeBase
from lvlmkb.schema import Paper


@dataclass(frozen=True)
class PaperFilter:
    """Criteria of ``lvlmkb list``; every criterion given must hold."""

    kind: str | None = None
    phase: str | None = None
    category: str | None = None
    facets: tuple[str, ...] = ()
    year: int | None = None
    venue: str | None = None
    text: str | None = None
    has_code: bool | None = None
    reproducible: bool | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


def parse_facet(spec: str) -> tuple[str, str]:
    """Split ``access=white-box`` into its facet and value."""
    facet, sep, value = spec.partition("=")
    if not sep or not facet or not value:
        raise UsageError(f"bad facet filter '{spec}'", "write it as FACET=VALUE, e.g. access=black-box")
    return facet.strip(), value.strip()


def select(kb: KnowledgeBase, criteria: PaperFilter) -> list[Paper]:
    """Return the papers matching ``criteria``, newest first."""
    categories = _category_set(kb, criteria.category)
    facets = [parse_facet(spec) for spec in criteria.facets]
    for facet, value in facets:
        if value not in kb.taxonomy.facet_values(facet):
            raise UsageError(f"unknown facet value {facet}={value}", "see `lvlmkb stats` for the vocabularies")
    return [p for p in kb.sorted_papers() if _matches(p, criteria, categories, facets)]


def _category_set(kb: KnowledgeBase, category: str | None) -> set[str] | None:
    if category is None:
        return None
    if category not in kb.taxonomy.nodes:
        raise NotFoundError(f"no taxonomy node '{category}'", "see `lvlmkb stats` for node ids")
    return set(kb.taxonomy.subtree(category))


def _matches(paper: Paper, c: PaperFilter, categories: set[str] | None, facets: list[tuple[str, str]]) -> bool:
    checks = (
        c.kind is None or paper.kind == c.kind,
        c.phase is None or paper.phase == c.phase,
        categories is None or paper.category in categories,
        all(value in paper.facets.get(facet, []) for facet, value in facets),
        c.year is None or paper.year == c.year,
        c.venue is None or c.venue.lower() in (paper.venue or "").lower(),
        c.text is None or _text_hit(paper, c.text),
        c.has_code is None or (paper.urls.code is not None) == c.has_code,
        c.reproducible is None or (paper.reproduction is not None) == c.reproducible,
        all(tag in paper.tags for tag in c.tags),
    )
    return all(checks)


def _text_hit(paper: Paper, text: str) -> bool:
    needle = text.lower()
    haystack = " ".join([paper.id, paper.title, paper.summary, " ".join(paper.authors), " ".join(paper.tags)])
    return needle in haystack.lower()


def node_counts(kb: KnowledgeBase) -> dict[str, int]:
    """Papers per taxonomy node, each node counting its whole subtree."""
    direct = Counter(p.category for p in kb.papers.values())
    return {node: sum(direct[n] for n in kb.taxonomy.subtree(node)) for node in kb.taxonomy.nodes}


def year_kind_counts(kb: KnowledgeBase) -> dict[int, dict[str, int]]:
    """Papers per year and kind, years ascending."""
    table: dict[int, dict[str, int]] = {}
    for paper in kb.papers.values():
        row = table.setdefault(paper.year, {"attack": 0, "defense": 0, "evaluation": 0})
        row[paper.kind] += 1
    return dict(sorted(table.items()))


def facet_counts(kb: KnowledgeBase) -> dict[str, dict[str, int]]:
    """Papers per facet value."""
    result: dict[str, dict[str, int]] = {}
    for facet_id, facet in kb.taxonomy.facets.items():
        counter = Counter(v for p in kb.papers.values() for v in p.facets.get(facet_id, []))
        result[facet_id] = {value.id: counter[value.id] for value in facet.values}
    return result


def incoming_relations(kb: KnowledgeBase, paper_id: str) -> dict[str, list[str]]:
    """Ids of papers that point at ``paper_id``, per relation name."""
    found: dict[str, list[str]] = {}
    for other in kb.sorted_papers():
        for name, targets in other.relations.model_dump().items():
            if paper_id in targets:
                found.setdefault(name, []).append(other.id)
    return found


def reproduce_command(paper: Paper, model: str = "MODEL") -> str:
    """The command that runs a paper's reproduction (a defense wraps an attack)."""
    if paper.reproduction is None:
        return ""
    if paper.kind == "defense":
        return f"lvlmkb reproduce ATTACK --model {model} --defense {paper.reproduction}"
    return f"lvlmkb reproduce {paper.reproduction} --model {model}"
