"""A fast, plain-text rendering of rich's default table for output that is not a terminal.

``rich`` lays a table out cell by cell, which costs about a millisecond per row; a listing of
thousands of papers piped into ``grep`` does not need that. :func:`box_table` draws the same
characters rich draws for ``Table(title=...)`` (box ``HEAVY_HEAD``, padding 1, title centred) when
every column gets its natural width, i.e. with no wrapping at all; :func:`two_column_grid` does the
same for the borderless grid of ``lvlmkb show``. It declines (returns None) for
text it cannot measure as rich would (control characters, line breaks), and the caller falls back
to rich. ``tests/publish/test_boxtable.py`` checks the output against rich's, character for character.
"""

from __future__ import annotations

from collections.abc import Sequence


def text_width(text: str) -> int:
    """Terminal cells taken by ``text`` (ASCII is one cell a character; rich measures the rest)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def _plain(texts: Sequence[str]) -> bool:
    return all(text.isprintable() for text in texts)


def box_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str | None:
    """The table as rich prints it at unlimited width (lines end with a newline), or None to let rich do it."""
    if not _plain([title, *columns]) or not all(_plain(row) and len(row) == len(columns) for row in rows):
        return None
    widths = [text_width(column) for column in columns]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], text_width(cell))
    total = sum(widths) + 3 * len(widths) + 1
    title_width = text_width(title)
    if title_width > total:
        return None
    left = (total - title_width) // 2
    lines = [" " * left + title + " " * (total - title_width - left)]
    lines.append(_rule("┏", "━", "┳", "┓", widths))
    lines.append(_row("┃", columns, widths))
    lines.append(_rule("┡", "━", "╇", "┩", widths))
    lines.extend(_row("│", row, widths) for row in rows)
    lines.append(_rule("└", "─", "┴", "┘", widths))
    return "\n".join(lines) + "\n"


def two_column_grid(rows: Sequence[tuple[str, str]], gap: int = 2) -> str | None:
    """Rich's ``Table.grid(padding=(0, gap))`` of two columns at natural widths, or None to let rich do it.

    Every name (first column) must take at least one cell; an empty value column is one cell wide, as in rich.
    """
    if not rows or not all(_plain(row) for row in rows):
        return None
    names = [text_width(name) for name, _ in rows]
    if min(names) == 0:
        return None
    first = max(names)
    second = max(1, *(text_width(value) for _, value in rows))
    lines = [
        f"{name}{' ' * (first - text_width(name) + gap)}{value}{' ' * (second - text_width(value))}"
        for name, value in rows
    ]
    return "\n".join(lines) + "\n"


def _rule(first: str, fill: str, cross: str, last: str, widths: Sequence[int]) -> str:
    return first + cross.join(fill * (width + 2) for width in widths) + last


def _row(edge: str, cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = (f" {cell}{' ' * (width - text_width(cell))} " for cell, width in zip(cells, widths, strict=True))
    return edge + edge.join(padded) + edge
