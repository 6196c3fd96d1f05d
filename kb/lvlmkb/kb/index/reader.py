"""Queries on an open index: what ``list``, ``search``, ``show``, ``stats`` and ``export`` print.

Nothing here imports pydantic or the loader; every row already holds its printed form.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from lvlmkb.errors import Diagnostic, NotFoundError, UsageError
from lvlmkb.kb.criteria import PaperFilter
from lvlmkb.kb.index.where import where_for
from lvlmkb.kb.rows import PanelData, StatsData, as_panel, as_stats

ORDER = {
    "date": "rowid",
    "citations": "citations IS NULL, citations DESC, rowid",
    "id": "id",
}
PRINTED = frozenset({"list_row", "record", "export_json", "bibtex", "csv_row", "panel"})
"""Columns holding a paper's printed forms; only these (fixed names, never user text) enter a query's text."""
SEARCH_WEIGHTS = (10.0, 1.0, 3.0, 5.0)
"""bm25 weights of the full-text columns: title, summary, authors, tags."""
_WORD = re.compile(r"\w+")


def _printed(column: str) -> str:
    if column not in PRINTED:
        raise ValueError(f"not a printed column: {column}")
    return column


class Index:
    """A read-only view of one compiled index."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def meta(self, key: str) -> str:
        """One value of the ``meta`` table ('' when absent)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else ""

    @property
    def error_count(self) -> int:
        """Errors the validation behind this index found."""
        return int(self.meta("errors") or 0)

    def diagnostics(self) -> list[Diagnostic]:
        """Every problem the validation behind this index found, in order."""
        rows = self.conn.execute("SELECT path, line, field, message, severity FROM diagnostics ORDER BY rowid")
        return [Diagnostic(*row) for row in rows]

    def ids(self) -> list[str]:
        """Every paper id, newest first."""
        return [row[0] for row in self.conn.execute("SELECT id FROM papers ORDER BY rowid")]

    def _select(self, column: str, criteria: PaperFilter, order: str) -> list[str]:
        where = where_for(self.conn, criteria)
        # Column and order come from fixed tables; every user value is a bound parameter.
        sql = f"SELECT {_printed(column)} FROM papers {where.sql()} ORDER BY {ORDER[order]}"  # noqa: S608
        return [row[0] for row in self.conn.execute(sql, where.params)]

    def list_rows(self, criteria: PaperFilter, order: str = "date") -> list[list[str]]:
        """The ``lvlmkb list`` table rows of the matching papers."""
        return [json.loads(row) for row in self._select("list_row", criteria, order)]

    def records(self, criteria: PaperFilter, order: str = "date") -> list[dict[str, Any]]:
        """The ``lvlmkb list --format json`` records of the matching papers."""
        return [json.loads(row) for row in self._select("record", criteria, order)]

    def search(self, text: str, criteria: PaperFilter, limit: int) -> list[str]:
        """Ids of the papers best matching the words of ``text`` (title, summary, authors, tags), best first.

        Papers whose title holds the words as a phrase come first; then papers with every word (the last
        may be the start of a word), by bm25 with the title weighted most. When no paper has every word,
        papers with any of them are ranked instead.
        """
        words = _WORD.findall(text)
        if not words:
            raise UsageError(
                f"nothing to search for in {text!r}", "give one or more words, e.g. `lvlmkb search typographic`"
            )
        quoted = [f'"{word}"' for word in words]
        found = self._ranked(f'title : "{" ".join(words)}"', criteria, limit)
        found += self._ranked(" AND ".join([*quoted[:-1], quoted[-1] + "*"]), criteria, limit)
        if not found:
            found = self._ranked(" OR ".join(quoted), criteria, limit)
        return list(dict.fromkeys(found))[:limit]

    def _ranked(self, query: str, criteria: PaperFilter, limit: int) -> list[str]:
        where = where_for(self.conn, criteria)
        where.clauses.insert(0, "papers_fts MATCH ?")
        where.params.insert(0, query)
        weights = ", ".join(str(w) for w in SEARCH_WEIGHTS)
        join = "papers_fts JOIN papers ON papers.rowid = papers_fts.rowid"
        order = f"bm25(papers_fts, {weights}), papers.rowid"
        sql = f"SELECT papers.id FROM {join} {where.sql()} ORDER BY {order} LIMIT ?"  # noqa: S608 - values are bound
        return [row[0] for row in self.conn.execute(sql, [*where.params, limit])]

    def rows_for(self, ids: list[str], column: str) -> list[Any]:
        """``column`` (decoded JSON) of the papers ``ids``, in that order."""
        sql = f"SELECT id, {_printed(column)} FROM papers WHERE id IN (SELECT value FROM json_each(?))"  # noqa: S608
        found = dict(self.conn.execute(sql, (json.dumps(ids),)))
        return [json.loads(found[paper_id]) for paper_id in ids]

    def require(self, paper_id: str) -> None:
        """Raise :class:`NotFoundError` (with close ids as the hint) unless the paper exists."""
        if self.conn.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).fetchone():
            return
        import difflib

        close = difflib.get_close_matches(paper_id, self.ids(), n=3)
        raise NotFoundError(
            f"no paper '{paper_id}'", f"did you mean {', '.join(close)}?" if close else "see `lvlmkb list`"
        )

    def record(self, paper_id: str) -> dict[str, Any]:
        """The paper's JSON record (fields left at their defaults omitted)."""
        self.require(paper_id)
        return dict(self.rows_for([paper_id], "record")[0])

    def panel(self, paper_id: str) -> PanelData:
        """What ``lvlmkb show`` prints of the paper itself."""
        self.require(paper_id)
        return as_panel(self.rows_for([paper_id], "panel")[0])

    def incoming(self, paper_id: str) -> dict[str, list[str]]:
        """Ids of papers that point at ``paper_id``, per relation name (newest source first)."""
        found: dict[str, list[str]] = {}
        sql = "SELECT name, source FROM relations WHERE target = ? ORDER BY source_pos, name_pos"
        for name, source in self.conn.execute(sql, (paper_id,)):
            found.setdefault(name, []).append(source)
        return found

    def stats_json(self) -> dict[str, Any]:
        """The counts of ``lvlmkb stats --format json``."""
        return dict(json.loads(self.meta("stats_json")))

    def stats_view(self) -> StatsData:
        """What ``lvlmkb stats`` prints."""
        return as_stats(json.loads(self.meta("stats_view")))

    def export(self, criteria: PaperFilter, fmt: str) -> str:
        """The matching papers as BibTeX, CSV or JSON text, in id order (as :func:`lvlmkb.kb.export.export_papers`)."""
        from lvlmkb.kb.export import EXPORT_FORMATS, bibtex_document, csv_document, json_document

        if fmt == "bibtex":
            return bibtex_document(self._select("bibtex", criteria, "id"))
        if fmt == "csv":
            return csv_document(json.loads(row) for row in self._select("csv_row", criteria, "id"))
        if fmt == "json":
            return json_document(json.loads(row) for row in self._select("export_json", criteria, "id"))
        raise UsageError(f"unknown export format '{fmt}'", f"use one of {', '.join(EXPORT_FORMATS)}")
