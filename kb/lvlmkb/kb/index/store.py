"""The SQLite file of the compiled index: its tables, and opening, publishing and copying it safely.

A published index is never written again: a build (or a refresh of the recorded stats) writes a new
file beside it and renames it into place, so a reader sees either the old database or the new one,
and two processes building at once cannot corrupt it. A lock file keeps a second builder waiting
until the first is done, so it can use that build instead of repeating it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from lvlmkb.errors import LvlmkbError

FORMAT = "2"
"""Bump when the tables change: an index of another format is rebuilt."""
INDEX_DIR = Path("build") / "index"
INDEX_NAME = "kb.sqlite"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE parsed (sha256 TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE paper_rows (key TEXT PRIMARY KEY, columns TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY, kind TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL, ino INTEGER NOT NULL, sha256 TEXT NOT NULL
);
CREATE TABLE papers (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    authors TEXT NOT NULL,
    year INTEGER NOT NULL,
    venue TEXT,
    date TEXT,
    arxiv TEXT,
    kind TEXT NOT NULL,
    phase TEXT,
    category TEXT NOT NULL,
    summary TEXT NOT NULL,
    tags TEXT NOT NULL,
    code_url TEXT,
    reproduction TEXT,
    citations INTEGER,
    path TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    venue_fold TEXT NOT NULL,
    haystack TEXT NOT NULL,
    list_row TEXT NOT NULL,
    record TEXT NOT NULL,
    export_json TEXT NOT NULL,
    bibtex TEXT NOT NULL,
    csv_row TEXT NOT NULL,
    panel TEXT NOT NULL
);
CREATE INDEX papers_year ON papers (year);
CREATE INDEX papers_category ON papers (category);
CREATE TABLE paper_tags (paper_id TEXT NOT NULL, tag TEXT NOT NULL, tag_fold TEXT NOT NULL);
CREATE INDEX paper_tags_fold ON paper_tags (tag_fold, paper_id);
CREATE TABLE paper_facets (paper_id TEXT NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX paper_facets_value ON paper_facets (facet, value, paper_id);
CREATE TABLE relations (
    source TEXT NOT NULL, name TEXT NOT NULL, target TEXT NOT NULL,
    source_pos INTEGER NOT NULL, name_pos INTEGER NOT NULL
);
CREATE INDEX relations_target ON relations (target);
CREATE TABLE nodes (pos INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, parent TEXT, label TEXT NOT NULL,
    kind TEXT, phase TEXT);
CREATE TABLE facet_values (facet TEXT NOT NULL, value TEXT NOT NULL, pos INTEGER NOT NULL);
CREATE TABLE models (id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE diagnostics (path TEXT NOT NULL, line INTEGER NOT NULL, field TEXT NOT NULL, message TEXT NOT NULL,
    severity TEXT NOT NULL);
CREATE VIRTUAL TABLE papers_fts USING fts5 (
    title, summary, authors, tags, content='papers', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
"""


class IndexUnavailableError(LvlmkbError):
    """The index could not be opened or written (a damaged file, a full disk)."""


def index_path(root: Path) -> Path:
    """Where the checkout at ``root`` keeps its index."""
    return root / INDEX_DIR / INDEX_NAME


def open_read(path: Path) -> sqlite3.Connection | None:
    """The published index, read-only; None when there is none or it is not a database of this format."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.DatabaseError:
        return None
    if row is None or row[0] != FORMAT:
        conn.close()
        return None
    return conn


def new_database(folder: Path | None) -> tuple[sqlite3.Connection, Path | None]:
    """An empty index with its tables: a temporary file in ``folder`` (None: in memory only)."""
    path: Path | None = None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{INDEX_NAME}.", suffix=".tmp", dir=folder)
        os.close(fd)
        path = Path(name)
    conn = sqlite3.connect(":memory:" if path is None else str(path))
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.executescript(SCHEMA)
    return conn, path


def publish(conn: sqlite3.Connection, temp: Path, target: Path) -> None:
    """Close the finished temporary index, flush it to disk and rename it over ``target``."""
    conn.commit()
    conn.close()
    with open(temp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temp, target)


def copy_database(source: sqlite3.Connection, temp: Path) -> None:
    """Write a consistent copy of ``source`` to ``temp`` (SQLite's online backup)."""
    target = sqlite3.connect(str(temp))
    try:
        source.backup(target)
        target.commit()
    finally:
        target.close()
    with open(temp, "rb") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def build_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder/kb.lock`` (where ``fcntl`` exists) while building."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX: builds still publish atomically
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "kb.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
