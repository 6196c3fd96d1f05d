"""Terminal views printed from plain data (rows of text), so the compiled index can feed them directly.

Rich is imported only when a view needs it. When standard output is not a terminal nothing wraps:
the paper table is one line per paper at its natural width (so ``lvlmkb list | grep`` sees every row),
drawn by :mod:`lvlmkb.publish.boxtable` when it can be, by rich otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from lvlmkb.kb.rows import PanelData, StatsData, StatsNode
from lvlmkb.publish.boxtable import box_table, two_column_grid

if TYPE_CHECKING:
    from rich.console import Console
    from rich.tree import Tree

LIST_COLUMNS = ("id", "date", "category", "title", "code", "repro")
RESULT_COLUMNS = ("model", "benchmark", "setting", "metric", "value", "source")
UNWRAPPED_WIDTH = 100_000
"""The console width used when standard output is not a terminal: wide enough that nothing wraps."""


def is_terminal() -> bool:
    """True when standard output is a terminal (tables then wrap to its width, as rich does)."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def console() -> Console:
    """A console that never interprets markup; it wraps only on a terminal."""
    from rich.console import Console

    width = None if is_terminal() else UNWRAPPED_WIDTH
    return Console(markup=False, highlight=False, soft_wrap=False, width=width)


def _utf8_stdout() -> bool:
    return (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").startswith("utf")


def print_paper_table(rows: Sequence[Sequence[str]]) -> None:
    """One row per paper: id, date, category, title, code and reproduction marks."""
    title = f"{len(rows)} paper(s)"
    if not is_terminal() and _utf8_stdout():
        text = box_table(title, LIST_COLUMNS, rows)
        if text is not None:
            sys.stdout.write(text)
            sys.stdout.flush()
            return
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, title=title)
    for column in LIST_COLUMNS:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console().print(table)


def print_panel(panel: PanelData, incoming: Mapping[str, Sequence[str]]) -> None:
    """Every field of one paper, its outgoing and incoming relations, notes, then its reported results."""
    rows = [(name, value) for name, value in panel["rows"]]
    rows += [(f"{name} (from)", ", ".join(sources)) for name, sources in incoming.items()]
    if panel["notes"]:
        rows.append(("notes", panel["notes"]))
    plain = _plain_panel(panel, rows) if not is_terminal() and _utf8_stdout() else None
    if plain is not None:
        sys.stdout.write(plain)
        sys.stdout.flush()
        return
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for name, value in rows:
        grid.add_row(Text(name), Text(value))
    out = console()
    out.print(Text(panel["id"], style="bold"))
    out.print(grid)
    if panel["results"]:
        table = Table(title="reported results")
        for column in RESULT_COLUMNS:
            table.add_column(column)
        for result in panel["results"]:
            table.add_row(*(Text(cell) for cell in result))
        out.print(table)


def _plain_panel(panel: PanelData, rows: list[tuple[str, str]]) -> str | None:
    """The panel drawn without rich, or None when some part needs rich."""
    grid = two_column_grid(rows)
    results = box_table("reported results", RESULT_COLUMNS, panel["results"]) if panel["results"] else ""
    if grid is None or results is None or not panel["id"].isprintable():
        return None
    return f"{panel['id']}\n{grid}{results}"


def print_stats(stats: StatsData) -> None:
    """The taxonomy tree with counts, the facet counts and a year x kind table."""
    from rich.table import Table
    from rich.text import Text
    from rich.tree import Tree

    out = console()
    out.print(Text(f"{stats['papers']} papers"))
    for root in stats["trees"]:
        tree = Tree(Text(root["text"]))
        _grow(tree, root["children"])
        out.print(tree)
    for title, columns, rows in (
        ("facets", ("facet", "value", "papers"), stats["facets"]),
        ("papers per year", ("year", "attack", "defense", "evaluation"), stats["years"]),
    ):
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        out.print(table)


def _grow(tree: Tree, children: list[StatsNode]) -> None:
    from rich.text import Text

    for child in children:
        _grow(tree.add(Text(child["text"])), child["children"])
