"""Compile a validated knowledge base into the index tables.

Everything a query command prints is computed here, once per build, from the schema objects: the
list row, the ``show`` panel, the JSON records, the BibTeX entry and the CSV row of every paper, and
the ``stats`` views. A query then only selects rows and prints what they hold, without pydantic.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, get_args

from lvlmkb import __version__
from lvlmkb.errors import Diagnostic
from lvlmkb.kb.export import bibtex_entry, csv_row, json_record
from lvlmkb.kb.index.inputs import Snapshot, stats_digest
from lvlmkb.kb.index.store import FORMAT
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.query import facet_counts, node_counts, year_kind_counts
from lvlmkb.kb.rows import panel_data, paper_row, stats_data
from lvlmkb.kb.schema import Paper
from lvlmkb.kb.schema.taxonomy import Kind, Phase

PAPER_COLUMNS = 26
INSERT_PAPER = f"INSERT INTO papers VALUES ({', '.join('?' * PAPER_COLUMNS)})"  # noqa: S608 - placeholders only


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Reuse:
    """What an earlier build computed, by content: parses (file digest) and paper rows (row key), as JSON."""

    parsed: dict[str, str] = field(default_factory=dict)
    rows: dict[str, str] = field(default_factory=dict)


def compile_kb(
    conn: sqlite3.Connection,
    kb: KnowledgeBase,
    diagnostics: list[Diagnostic],
    built: Snapshot,
    parsed: dict[str, str] | None = None,
    previous_rows: dict[str, str] | None = None,
) -> None:
    """Fill the empty index ``conn`` from ``kb`` (as loaded from the inputs of ``built``) and its diagnostics.

    ``parsed`` (content digest to JSON) is the parse of every file the load read, kept for the next build;
    ``previous_rows`` are the paper rows an earlier build computed, reused where their key still matches.
    """
    papers = kb.sorted_papers()
    rows = _paper_rows(kb, papers, previous_rows or {})
    conn.executemany(INSERT_PAPER, [(pos, *values) for pos, (_, values) in enumerate(rows)])
    conn.executemany("INSERT INTO paper_rows VALUES (?, ?)", [(key, _dumps(values)) for key, values in rows if key])
    conn.executemany(
        "INSERT INTO paper_tags VALUES (?, ?, ?)", [(p.id, tag, tag.casefold()) for p in papers for tag in p.tags]
    )
    conn.executemany(
        "INSERT INTO paper_facets VALUES (?, ?, ?)",
        [(p.id, facet, value) for p in papers for facet, values in p.facets.items() for value in values],
    )
    conn.executemany("INSERT INTO relations VALUES (?, ?, ?, ?, ?)", list(_relations(papers)))
    conn.execute("INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')")
    _taxonomy(conn, kb)
    conn.executemany(
        "INSERT INTO models VALUES (?, ?)", [(m.id, _dumps(m.model_dump(mode="json"))) for m in kb.models.values()]
    )
    conn.executemany("INSERT INTO diagnostics VALUES (?, ?, ?, ?, ?)", [_diagnostic(d) for d in diagnostics])
    conn.executemany(
        "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (s.path, s.kind, s.size, s.mtime_ns, s.ctime_ns, s.ino, built.hashes[path])
            for path, s in sorted(built.stats.items())
        ],
    )
    conn.executemany("INSERT INTO parsed VALUES (?, ?)", sorted((parsed or {}).items()))
    conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(_meta(kb, diagnostics, built).items()))


def _paper_rows(kb: KnowledgeBase, papers: list[Paper], previous: dict[str, str]) -> list[tuple[str, list[Any]]]:
    """Each paper's row key and its column values (reused from ``previous``, as JSON, when the key matches).

    A row is computed from the paper alone and the taxonomy (the category path of the ``show`` panel),
    so its key is the digest of the paper's file with a digest of the taxonomy nodes; a paper read
    without a digest gets no key and is always computed.
    """
    context = hashlib.sha256(
        _dumps([[n.id, n.parent, n.label] for n in kb.taxonomy.nodes.values()]).encode()
    ).hexdigest()
    rows = []
    for paper in papers:
        doc = kb.paper_docs.get(paper.id)
        key = f"{doc.digest}:{context}" if doc is not None and doc.digest else ""
        known = previous.get(key) if key else None
        rows.append((key, json.loads(known) if known is not None else _paper_values(kb, paper)))
    return rows


def _paper_values(kb: KnowledgeBase, paper: Paper) -> list[Any]:
    haystack = " ".join([paper.id, paper.title, paper.summary, " ".join(paper.authors), " ".join(paper.tags)])
    return [
        paper.id,
        paper.title,
        "; ".join(paper.authors),
        paper.year,
        paper.venue,
        paper.date,
        paper.arxiv,
        paper.kind,
        paper.phase,
        paper.category,
        paper.summary,
        " ".join(paper.tags),
        paper.urls.code,
        ",".join(paper.reproductions) or None,
        paper.citations.count if paper.citations else None,
        f"papers/{paper.id}.yaml",
        paper.date or str(paper.year),
        (paper.venue or "").lower(),
        haystack.lower(),
        _dumps(paper_row(paper)),
        _dumps(paper.model_dump(mode="json", exclude_defaults=True)),
        _dumps(json_record(paper)),
        bibtex_entry(paper),
        _dumps(csv_row(paper)),
        _dumps(panel_data(kb, paper)),
    ]


def _relations(papers: list[Paper]) -> list[tuple[str, str, str, int, int]]:
    rows = []
    for pos, paper in enumerate(papers):
        for name_pos, (name, targets) in enumerate(paper.relations.model_dump().items()):
            rows += [(paper.id, name, target, pos, name_pos) for target in dict.fromkeys(targets)]
    return rows


def _taxonomy(conn: sqlite3.Connection, kb: KnowledgeBase) -> None:
    conn.executemany(
        "INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?)",
        [(pos, n.id, n.parent, n.label, n.kind, n.phase) for pos, n in enumerate(kb.taxonomy.nodes.values())],
    )
    conn.executemany(
        "INSERT INTO facet_values VALUES (?, ?, ?)",
        [(f.id, v.id, pos) for f in kb.taxonomy.facets.values() for pos, v in enumerate(f.values)],
    )


def _diagnostic(d: Diagnostic) -> tuple[str, int, str, str, str]:
    return (d.path, d.line, d.field, d.message, d.severity)


def _meta(kb: KnowledgeBase, diagnostics: list[Diagnostic], built: Snapshot) -> dict[str, str]:
    payload = {
        "papers": len(kb.papers),
        "nodes": node_counts(kb),
        "facets": facet_counts(kb),
        "years": {str(y): row for y, row in year_kind_counts(kb).items()},
    }
    return {
        "format": FORMAT,
        "lvlmkb_version": __version__,
        "taken_ns": str(built.taken_ns),
        "stats_digest": stats_digest(built.stats),
        "layout": built.layout,
        "papers": str(len(kb.papers)),
        "errors": str(sum(d.severity == "error" for d in diagnostics)),
        "kinds": _dumps(list(get_args(Kind))),
        "phases": _dumps(list(get_args(Phase))),
        "stats_json": _dumps(payload),
        "stats_view": _dumps(stats_data(kb)),
    }
