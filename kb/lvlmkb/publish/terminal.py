"""Terminal views of papers and counts, built from the loaded KB. Data is always wrapped in ``Text`` (never markup).

The rows come from :mod:`lvlmkb.kb.rows`, the same rows the compiled index stores.
"""

from __future__ import annotations

from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.rows import panel_data, paper_row, stats_data
from lvlmkb.kb.schema import Paper
from lvlmkb.publish.views import print_panel, print_paper_table, print_stats


def paper_table(papers: list[Paper]) -> None:
    """Print one row per paper: id, date, kind/category, title, code and reproduction marks."""
    print_paper_table([paper_row(paper) for paper in papers])


def paper_panel(kb: KnowledgeBase, paper: Paper, incoming: dict[str, list[str]]) -> None:
    """Print every field of one paper, then its outgoing and incoming relations."""
    print_panel(panel_data(kb, paper), incoming)


def stats_view(kb: KnowledgeBase) -> None:
    """Print the taxonomy tree with counts, facet counts and a year x kind table."""
    print_stats(stats_data(kb))
