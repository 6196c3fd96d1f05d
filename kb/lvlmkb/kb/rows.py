"""The plain rows of ``lvlmkb list``, ``show`` and ``stats``: text cells built from the loaded KB.

The compiled index (:mod:`lvlmkb.kb.index`) stores these rows, and :mod:`lvlmkb.publish.views` prints them,
so the indexed and the loaded paths print the same thing.
"""

from __future__ import annotations

from typing import Any, TypedDict

from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.query import facet_counts, node_counts, reproduce_commands, year_kind_counts
from lvlmkb.kb.schema import Paper


class PanelData(TypedDict):
    """What ``lvlmkb show`` prints for a paper, apart from the relations pointing at it."""

    id: str
    rows: list[list[str]]
    notes: str | None
    results: list[list[str]]


class StatsNode(TypedDict):
    """One line of the taxonomy tree of ``lvlmkb stats`` and the lines below it."""

    text: str
    children: list[StatsNode]


class StatsData(TypedDict):
    """What ``lvlmkb stats`` prints."""

    papers: int
    trees: list[StatsNode]
    facets: list[list[str]]
    years: list[list[str]]


def paper_row(paper: Paper) -> list[str]:
    """The cells of one paper in ``lvlmkb list``: id, date, category, title, code and reproduction marks."""
    return [
        paper.id,
        paper.date or str(paper.year),
        paper.category,
        paper.title,
        "yes" if paper.urls.code else "",
        ",".join(paper.reproductions),
    ]


def panel_data(kb: KnowledgeBase, paper: Paper) -> PanelData:
    """Every field of one paper and its outgoing relations, as ``lvlmkb show`` prints them."""
    node_path = " > ".join(kb.taxonomy.nodes[n].label for n in reversed(kb.taxonomy.ancestors(paper.category)))
    rows = [
        ["title", paper.title],
        ["authors", ", ".join(paper.authors) or "-"],
        ["venue", f"{paper.venue or '-'} ({paper.year})"],
        ["date", paper.date or "-"],
        ["arXiv", paper.arxiv or "-"],
        ["category", f"{paper.category}  [{node_path}]"],
        ["facets", "; ".join(f"{k}: {', '.join(v)}" for k, v in paper.facets.items() if v) or "-"],
        ["summary", paper.summary],
        ["tags", ", ".join(paper.tags) or "-"],
        ["targets", ", ".join(paper.targets) or "-"],
        ["links", "  ".join(f"{k}: {v}" for k, v in paper.urls.model_dump().items() if v) or "-"],
        ["reproduction", "; ".join(reproduce_commands(paper)) or "-"],
    ]
    rows += [[name, ", ".join(targets)] for name, targets in paper.relations.model_dump().items() if targets]
    results = [
        [r.model, r.benchmark, r.setting or "", r.metric, f"{r.value:g}", r.source] for r in paper.reported_results
    ]
    return PanelData(id=paper.id, rows=rows, notes=paper.notes, results=results)


def stats_data(kb: KnowledgeBase) -> StatsData:
    """The taxonomy tree with counts, the facet counts and the year x kind counts, as text cells."""
    counts = node_counts(kb)

    def node(node_id: str) -> StatsNode:
        text = f"{kb.taxonomy.nodes[node_id].label} ({counts[node_id]})  {node_id}"
        return StatsNode(text=text, children=[node(child) for child in kb.taxonomy.children[node_id]])

    facets = [
        [facet, value, str(count)] for facet, values in facet_counts(kb).items() for value, count in values.items()
    ]
    years = [
        [str(year), *(str(row[k]) for k in ("attack", "defense", "evaluation"))]
        for year, row in year_kind_counts(kb).items()
    ]
    return StatsData(
        papers=len(kb.papers), trees=[node(root) for root in kb.taxonomy.roots], facets=facets, years=years
    )


def as_panel(data: Any) -> PanelData:
    """``data`` (decoded JSON) typed as a panel; the index wrote it from :class:`PanelData`."""
    panel: PanelData = data
    return panel


def as_stats(data: Any) -> StatsData:
    """``data`` (decoded JSON) typed as stats; the index wrote it from :class:`StatsData`."""
    stats: StatsData = data
    return stats
