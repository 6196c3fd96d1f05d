"""The plain table and grid draw exactly what rich draws at unlimited width, or decline."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lvlmkb.publish.boxtable import box_table, two_column_grid
from lvlmkb.publish.views import LIST_COLUMNS

CELL = st.text(alphabet=st.sampled_from("ab Z-_'.:/[]()日本語é😀\u0301"), max_size=30)


def _rich(renderable: Table) -> str:
    buffer = io.StringIO()
    Console(file=buffer, markup=False, highlight=False, soft_wrap=False, width=100_000).print(renderable)
    return buffer.getvalue()


def _rich_table(title: str, rows: list[list[str]]) -> str:
    table = Table(show_lines=False, title=title)
    for column in LIST_COLUMNS:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return _rich(table)


def _rich_grid(rows: list[tuple[str, str]]) -> str:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for name, value in rows:
        grid.add_row(Text(name), Text(value))
    return _rich(grid)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(CELL, min_size=6, max_size=6), max_size=6))
def test_table_matches_rich(rows: list[list[str]]) -> None:
    title = f"{len(rows)} paper(s)"
    drawn = box_table(title, LIST_COLUMNS, rows)
    assert drawn is not None, "printable one-line cells are always drawn"
    assert drawn == _rich_table(title, rows)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(CELL.filter(bool), CELL), min_size=1, max_size=6))
def test_grid_matches_rich(rows: list[tuple[str, str]]) -> None:
    drawn = two_column_grid(rows)
    if drawn is None:  # declined: a name that takes no cell (rich crops such a column)
        assert any(not name.strip("\u0301") for name, _ in rows)
        return
    assert drawn == _rich_grid(rows)


def test_a_long_row_stays_on_one_line() -> None:
    title = "x" * 500
    text = box_table("1 paper(s)", LIST_COLUMNS, [["id", "2024", "cat", title, "yes", ""]])
    assert text is not None
    assert sum(title in line for line in text.splitlines()) == 1


def test_text_it_cannot_measure_goes_to_rich() -> None:
    assert box_table("t", ("a",), [["two\nlines"]]) is None
    assert box_table("t", ("a",), [["tab\there"]]) is None
    assert two_column_grid([("summary", "line one\nline two")]) is None
    assert box_table("a title longer than the table itself", ("a",), [["b"]]) is None
