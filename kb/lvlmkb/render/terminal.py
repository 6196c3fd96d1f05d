"""Rich terminal views of papers and counts. Data is always wrapped in ``Text`` (never markup)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from lvlmkb.kb import KnowledgeBase
from lvlmkb.query import facet_counts, node_counts, reproduce_command, year_kind_counts
from lvlmkb.schema import Paper


def _console() -> Console:
    return Console(markup=False, highlight=False, soft_wrap=False)


def paper_table(papers: list[Paper]) -> None:
    """Print one row per paper: id, date, kind/category, title, code and reproduction marks."""
    table = Table(show_lines=False, title=f"{len(papers)} paper(s)")
    for column in ("id", "date", "category", "title", "code", "repro"):
        table.add_column(column, overflow="fold")
    for paper in papers:
        table.add_row(
            Text(paper.id),
            Text(paper.date or str(paper.year)),
            Text(paper.category),
            Text(paper.title),
            Text("yes" if paper.urls.code else ""),
            Text(paper.reproduction or ""),
        )
    _console().print(table)


def paper_panel(kb: KnowledgeBase, paper: Paper, incoming: dict[str, list[str]]) -> None:
    """Print every field of one paper, then its outgoing and incoming relations."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    node_path = " > ".join(kb.taxonomy.nodes[n].label for n in reversed(kb.taxonomy.ancestors(paper.category)))
    rows = [
        ("title", paper.title),
        ("authors", ", ".join(paper.authors) or "-"),
        ("venue", f"{paper.venue or '-'} ({paper.year})"),
        ("date", paper.date or "-"),
        ("arXiv", paper.arxiv or "-"),
        ("category", f"{paper.category}  [{node_path}]"),
        ("facets", "; ".join(f"{k}: {', '.join(v)}" for k, v in paper.facets.items() if v) or "-"),
        ("summary", paper.summary),
        ("tags", ", ".join(paper.tags) or "-"),
        ("targets", ", ".join(paper.targets) or "-"),
        ("links", "  ".join(f"{k}: {v}" for k, v in paper.urls.model_dump().items() if v) or "-"),
        ("reproduction", reproduce_command(paper) or "-"),
    ]
    for name, targets in paper.relations.model_dump().items():
        if targets:
            rows.append((name, ", ".join(targets)))
    for name, sources in incoming.items():
        rows.append((f"{name} (from)", ", ".join(sources)))
    if paper.notes:
        rows.append(("notes", paper.notes))
    for name, value in rows:
        grid.add_row(Text(name), Text(value))
    console = _console()
    console.print(Text(paper.id, style="bold"))
    console.print(grid)
    if paper.reported_results:
        console.print(_results_table(paper))


def _results_table(paper: Paper) -> Table:
    table = Table(title="reported results")
    for column in ("model", "benchmark", "setting", "metric", "value", "source"):
        table.add_column(column)
    for r in paper.reported_results:
        table.add_row(*(Text(x) for x in (r.model, r.benchmark, r.setting or "", r.metric, f"{r.value:g}", r.source)))
    return table


def stats_view(kb: KnowledgeBase) -> None:
    """Print the taxonomy tree with counts, facet counts and a year x kind table."""
    counts = node_counts(kb)
    console = _console()
    console.print(Text(f"{len(kb.papers)} papers"))
    for root in kb.taxonomy.roots:
        tree = Tree(Text(f"{kb.taxonomy.nodes[root].label} ({counts[root]})  {root}"))
        _grow(kb, tree, root, counts)
        console.print(tree)
    facets = Table(title="facets")
    for column in ("facet", "value", "papers"):
        facets.add_column(column)
    for facet, values in facet_counts(kb).items():
        for value, count in values.items():
            facets.add_row(Text(facet), Text(value), Text(str(count)))
    console.print(facets)
    years = Table(title="papers per year")
    for column in ("year", "attack", "defense", "evaluation"):
        years.add_column(column)
    for year, row in year_kind_counts(kb).items():
        years.add_row(Text(str(year)), *(Text(str(row[k])) for k in ("attack", "defense", "evaluation")))
    console.print(years)


def _grow(kb: KnowledgeBase, tree: Tree, node_id: str, counts: dict[str, int]) -> None:
    for child in kb.taxonomy.children[node_id]:
        label = kb.taxonomy.nodes[child].label
        _grow(kb, tree.add(Text(f"{label} ({counts[child]})  {child}")), child, counts)
