"""Terminal views of papers and counts, built from the loaded KB. Data is always wrapped in ``Text`` (never markup).

The functions here turn schema objects into the plain rows of :mod:`lvlmkb.render.views`, which prints
them; the compiled index (:mod:`lvlmkb.index`) stores the same rows, so both paths print the same thing.
"""

from __future__ import annotations

from lvlmkb.kb import KnowledgeBase
from lvlmkb.query import facet_counts, node_counts, reproduce_commands, year_kind_counts
from lvlmkb.render.views import PanelData, StatsData, StatsNode, print_panel, print_paper_table, print_stats
from lvlmkb.schema import Paper


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


def paper_table(papers: list[Paper]) -> None:
    """Print one row per paper: id, date, kind/category, title, code and reproduction marks."""
    print_paper_table([paper_row(paper) for paper in papers])


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


def paper_panel(kb: KnowledgeBase, paper: Paper, incoming: dict[str, list[str]]) -> None:
    """Print every field of one paper, then its outgoing and incoming relations."""
    print_panel(panel_data(kb, paper), incoming)


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


def stats_view(kb: KnowledgeBase) -> None:
    """Print the taxonomy tree with counts, facet counts and a year x kind table."""
    print_stats(stats_data(kb))
