"""Turn :class:`~lvlmkb.kb.criteria.PaperFilter` into SQL over the index, checking every choice first.

A kind, phase, taxonomy node, facet, facet value or tag that does not exist is a usage error with a
did-you-mean hint (exit 2), never a silent empty list. Choices match case-insensitively; the
substring filters (``--venue``, ``--search``) compare lowercased text, as the in-memory filter does.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from lvlmkb.choices import check_choice
from lvlmkb.kb.criteria import PaperFilter, parse_facet

STATS_HINT = "`lvlmkb stats`"


@dataclass
class Where:
    """A conjunction of SQL conditions on ``papers`` and their parameters."""

    clauses: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, clause: str, *params: object) -> None:
        """Require ``clause`` (with ``?`` placeholders for ``params``)."""
        self.clauses.append(clause)
        self.params.extend(params)

    def sql(self) -> str:
        """``WHERE ...`` or the empty string."""
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def _meta_list(conn: sqlite3.Connection, key: str) -> list[str]:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return list(json.loads(row[0])) if row else []


def _column(conn: sqlite3.Connection, sql: str, *params: object) -> list[str]:
    return [str(row[0]) for row in conn.execute(sql, params)]


def where_for(conn: sqlite3.Connection, c: PaperFilter) -> Where:
    """The conditions of ``c``, its choices checked against the index's vocabularies."""
    where = Where()
    if c.kind is not None:
        where.add("kind = ?", check_choice("kind", c.kind, _meta_list(conn, "kinds")))
    if c.phase is not None:
        where.add("phase = ?", check_choice("phase", c.phase, _meta_list(conn, "phases")))
    if c.category is not None:
        nodes = _subtree(
            conn, check_choice("taxonomy node", c.category, _column(conn, "SELECT id FROM nodes"), STATS_HINT)
        )
        where.add(f"category IN ({', '.join('?' * len(nodes))})", *nodes)
    for spec in c.facets:
        facet, value = _facet(conn, spec)
        where.add(
            "id IN (SELECT paper_id FROM paper_facets WHERE facet = ? AND value = ?)",
            facet,
            value,
        )
    known_tags = _column(conn, "SELECT DISTINCT tag FROM paper_tags") if c.tags else []
    for tag in c.tags:
        folded = check_choice("tag", tag, known_tags).casefold()
        where.add("id IN (SELECT paper_id FROM paper_tags WHERE tag_fold = ?)", folded)
    _scalar_filters(where, c)
    return where


def _scalar_filters(where: Where, c: PaperFilter) -> None:
    if c.year is not None:
        where.add("year = ?", c.year)
    if c.venue is not None:
        where.add("instr(venue_fold, ?) > 0", c.venue.lower())
    if c.text is not None:
        where.add("instr(haystack, ?) > 0", c.text.lower())
    if c.has_code is not None:
        where.add("(code_url IS NOT NULL) = ?", int(c.has_code))
    if c.reproducible is not None:
        where.add("(reproduction IS NOT NULL) = ?", int(c.reproducible))


def _facet(conn: sqlite3.Connection, spec: str) -> tuple[str, str]:
    facet, value = parse_facet(spec)
    facet = check_choice("facet", facet, _column(conn, "SELECT DISTINCT facet FROM facet_values"), STATS_HINT)
    values = _column(conn, "SELECT value FROM facet_values WHERE facet = ?", facet)
    return facet, check_choice(f"{facet} value", value, values, STATS_HINT)


def _subtree(conn: sqlite3.Connection, node: str) -> list[str]:
    children: dict[str, list[str]] = {}
    for node_id, parent in conn.execute("SELECT id, parent FROM nodes ORDER BY pos"):
        if parent is not None:
            children.setdefault(parent, []).append(node_id)
    found, todo = [], [node]
    while todo:
        current = todo.pop()
        if current not in found:
            found.append(current)
            todo.extend(children.get(current, []))
    return found
