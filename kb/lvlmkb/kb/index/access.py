"""Open the index of a checkout, rebuilding it first when any input changed.

A warm call stats the inputs, finds them as recorded and answers from the published database; only
files whose stat moved are hashed, and a file with the same bytes (a ``touch``, a checkout) costs no
rebuild. A rebuild validates the whole checkout (cross-references need every paper), parsing only the
files whose bytes the previous index had not seen, compiles it in memory and publishes it atomically;
when the inputs change while it runs, the result answers this call but is not kept. When ``build/``
cannot be written, the index lives in memory for one call.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lvlmkb.fsio import FILE_MODE
from lvlmkb.kb.index.inputs import (
    FileStat,
    Freshness,
    Snapshot,
    compare,
    engine_fingerprint,
    layout,
    quick_check,
    scan,
    stats_digest,
    take_snapshot,
)
from lvlmkb.kb.index.reader import Index
from lvlmkb.kb.index.store import INDEX_NAME, build_lock, copy_database, index_path, new_database, open_read
from lvlmkb.kb.parsecache import ParseCache
from lvlmkb.project import Project

if TYPE_CHECKING:
    from lvlmkb.kb.index.compile import Reuse

ABANDONED_S = 3600


def open_index(project: Project) -> Index:
    """A fresh index of ``project``: the published one when its inputs are unchanged, else a new build."""
    path = index_path(project.root)
    conn = _fresh(path, project.root)
    if conn is not None:
        return Index(conn)
    try:
        with build_lock(path.parent):
            conn = _fresh(path, project.root)  # another process may have just built it
            return Index(conn if conn is not None else _build_and_publish(project, path))
    except OSError:
        return Index(_build(project)[0])


def _fresh(path: Path, root: Path) -> sqlite3.Connection | None:
    conn = open_read(path)
    if conn is None:
        return None
    checked_ns = time.time_ns()
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('taken_ns', 'layout', 'stats_digest')"))
        now = quick_check(root, int(meta["taken_ns"]), meta["layout"], meta["stats_digest"])
        state = Freshness(True) if now is None else compare(root, recorded_snapshot(conn), now)
    except (sqlite3.DatabaseError, KeyError, ValueError):
        state = Freshness(False)
    if not state.fresh:
        conn.close()
        return None
    if state.refreshable and state.stats is not None:
        _refresh(conn, path, state.stats, checked_ns)
    return conn


def recorded_snapshot(conn: sqlite3.Connection) -> Snapshot:
    """The inputs an index was built from, as it recorded them."""
    meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('taken_ns', 'layout')"))
    stats: dict[str, FileStat] = {}
    hashes: dict[str, str] = {}
    for path, kind, size, mtime_ns, ctime_ns, ino, sha in conn.execute(
        "SELECT path, kind, size, mtime_ns, ctime_ns, ino, sha256 FROM files"
    ):
        stats[path] = FileStat(path, kind, size, mtime_ns, ctime_ns, ino)
        hashes[path] = sha
    return Snapshot(int(meta.get("taken_ns", 0)), stats, hashes, meta.get("layout", ""))


def _build(project: Project, previous: Path | None = None) -> tuple[sqlite3.Connection, Snapshot]:
    """Validate the checkout and compile it into an in-memory index.

    ``previous``: a published index whose parses are reused for the files whose bytes did not change.
    """
    from lvlmkb.kb.index.compile import Reuse, compile_kb
    from lvlmkb.kb.validate import validate

    snapshot = take_snapshot(project.root)
    reuse = previous_build(previous) if previous is not None else Reuse()
    cache = ParseCache(reuse.parsed)
    report = validate(project, cache)
    conn, _ = new_database(None)
    compile_kb(conn, report.kb, report.diagnostics, snapshot, cache.used, reuse.rows)
    conn.commit()
    return conn, snapshot


def previous_build(path: Path) -> Reuse:
    """The parses and paper rows an earlier index kept, when the same engine built it; else nothing."""
    from lvlmkb.kb.index.compile import Reuse

    conn = open_read(path)
    if conn is None:
        return Reuse()
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
        engine = f"engine={engine_fingerprint()}"
        if row is None or engine not in str(row[0]).splitlines():
            return Reuse()
        parsed = dict(conn.execute("SELECT sha256, data FROM parsed"))
        return Reuse(parsed, dict(conn.execute("SELECT key, columns FROM paper_rows")))
    except sqlite3.DatabaseError:
        return Reuse()
    finally:
        conn.close()


def _build_and_publish(project: Project, path: Path) -> sqlite3.Connection:
    conn, snapshot = _build(project, previous=path)
    if scan(project.root) == snapshot.stats and layout(project.root) == snapshot.layout:
        with contextlib.suppress(OSError, sqlite3.Error):
            _write(conn, path)
            _remove_abandoned(path.parent)
    return conn


def _remove_abandoned(folder: Path) -> None:
    """Delete temporary files that a killed build left behind (old ones only: a refresh may be writing one)."""
    limit = time.time() - ABANDONED_S
    for temp in folder.glob(f".{INDEX_NAME}.*.tmp"):
        with contextlib.suppress(OSError):
            if temp.is_file() and not temp.is_symlink() and temp.stat().st_mtime < limit:
                temp.unlink()


def _write(conn: sqlite3.Connection, path: Path) -> None:
    """Copy ``conn`` to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{INDEX_NAME}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        copy_database(conn, temp)
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _refresh(conn: sqlite3.Connection, path: Path, stats: dict[str, FileStat], checked_ns: int) -> None:
    """Record the inputs' verified stats (their bytes are unchanged), so later checks need not hash them.

    ``stats`` must be the very stats whose files were hashed, and ``checked_ns`` a time before they were
    taken: a file edited since then shows a stat that differs from the recorded one and is hashed again.
    """
    with contextlib.suppress(OSError, sqlite3.Error):
        memory = sqlite3.connect(":memory:")
        conn.backup(memory)
        memory.executemany(
            "UPDATE files SET kind = ?, size = ?, mtime_ns = ?, ctime_ns = ?, ino = ? WHERE path = ?",
            [(s.kind, s.size, s.mtime_ns, s.ctime_ns, s.ino, s.path) for s in stats.values()],
        )
        memory.execute("UPDATE meta SET value = ? WHERE key = 'taken_ns'", (str(checked_ns),))
        memory.execute("UPDATE meta SET value = ? WHERE key = 'stats_digest'", (stats_digest(stats),))
        memory.commit()
        _write(memory, path)
        memory.close()
