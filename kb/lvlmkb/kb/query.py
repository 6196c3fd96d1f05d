"""Filtering and counting papers for the query commands."""

from __future__ import annotations

from collections import Counter

from lvlmkb.choices import check_choice
from lvlmkb.kb.criteria import PaperFilter, parse_facet
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.schema import Paper

__all__ = [
    "PaperFilter",
    "facet_counts",
    "incoming_relations",
    "node_counts",
    "parse_facet",
    "reproduce_commands",
    "select",
    "year_kind_counts",
]


def select(kb: KnowledgeBase, criteria: PaperFilter) -> list[Paper]:
    """Return the papers matching ``criteria``, newest first."""
    categories = _category_set(kb, criteria.category)
    facets = [_facet(kb, spec) for spec in criteria.facets]
    return [p for p in kb.sorted_papers() if _matches(p, criteria, categories, facets)]


def _facet(kb: KnowledgeBase, spec: str) -> tuple[str, str]:
    facet, value = parse_facet(spec)
    facet = check_choice("facet", facet, kb.taxonomy.facets, "`lvlmkb stats` for the vocabularies")
    return facet, check_choice(f"{facet} value", value, kb.taxonomy.facet_values(facet))


def _category_set(kb: KnowledgeBase, category: str | None) -> set[str] | None:
    if category is None:
        return None
    node = check_choice("taxonomy node", category, kb.taxonomy.nodes, "`lvlmkb stats` for the node ids")
    return set(kb.taxonomy.subtree(node))


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
        c.reproducible is None or bool(paper.reproductions) == c.reproducible,
        all(tag.casefold() in {t.casefold() for t in paper.tags} for tag in c.tags),
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


def reproduce_commands(paper: Paper, model: str = "MODEL") -> list[str]:
    """The commands that run a paper's reproductions, in their listed order (a defense wraps an attack)."""
    if paper.kind == "defense":
        return [f"lvlmkb reproduce ATTACK --model {model} --defense {method}" for method in paper.reproductions]
    return [f"lvlmkb reproduce {method} --model {model}" for method in paper.reproductions]
