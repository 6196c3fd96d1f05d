"""What the compiled index is built from, and a cheap test of whether any of it changed.

The inputs are every entry of ``papers/`` and ``taxonomy/`` (what the loader reads, including files it
complains about), ``reproductions/models.yaml``, and the names of the reproduction modules. The engine
(the ``lvlmkb`` sources, which decide what a file means) is fingerprinted too, so editing the code
rebuilds the index. A check costs one ``lstat`` per input; only a file whose stat changed is hashed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

DATA_DIRS = ("papers", "taxonomy")
MODELS_FILE = "reproductions/models.yaml"
PLUGINS_DIR = "reproductions"
RACY_NS = 2_000_000_000
"""A file modified this close to (or after) a snapshot may change again without its stat changing."""
ENGINE = Path(__file__).resolve().parent.parent


class FileStat(NamedTuple):
    """One input as ``lstat`` sees it; ``kind`` is ``file``, ``link``, ``dir``, ``other`` or ``plugin``."""

    path: str
    kind: str
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int


@dataclass(frozen=True)
class Snapshot:
    """The inputs at one moment: their stats, their content hashes and the layout of the checkout."""

    taken_ns: int
    stats: dict[str, FileStat]
    hashes: dict[str, str]
    layout: str


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISREG(mode):
        return "file"
    return "dir" if stat.S_ISDIR(mode) else "other"


def _file_stat(relative: str, st: os.stat_result) -> FileStat:
    return FileStat(relative, _kind(st.st_mode), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _scan_folder(root: Path, folder: str, found: dict[str, FileStat]) -> None:
    try:
        with os.scandir(root / folder) as entries:
            for entry in entries:
                if not entry.name.startswith("."):
                    relative = f"{folder}/{entry.name}"
                    found[relative] = _file_stat(relative, entry.stat(follow_symlinks=False))
    except OSError:
        return


def scan(root: Path) -> dict[str, FileStat]:
    """The stat of every input, by path relative to ``root`` (one ``lstat`` each, through ``scandir``)."""
    found: dict[str, FileStat] = {}
    for folder in DATA_DIRS:
        _scan_folder(root, folder, found)
    with contextlib.suppress(OSError):
        found[MODELS_FILE] = _file_stat(MODELS_FILE, os.lstat(root / MODELS_FILE))
    try:
        plugins = os.listdir(root / PLUGINS_DIR)
    except OSError:
        plugins = []
    for name in plugins:
        if name.endswith(".py") and not name.startswith(("_", ".")):
            relative = f"{PLUGINS_DIR}/{name}"
            found[relative] = FileStat(relative, "plugin", 0, 0, 0, 0)
    return found


def layout(root: Path) -> str:
    """Where the data folders lead (a folder linked out of the checkout reads differently), and the engine."""
    places = [f"{name}={(root / name).resolve()}" for name in (*DATA_DIRS, PLUGINS_DIR)]
    return "\n".join([f"root={root.resolve()}", *places, f"engine={engine_fingerprint()}"])


def engine_fingerprint() -> str:
    """A digest of the size and modification time of every ``lvlmkb`` source file."""
    digest = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(ENGINE)):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def content_hash(root: Path, entry: FileStat) -> str:
    """The SHA-256 of a regular file's bytes; links, folders and plugin names hash their stat instead."""
    if entry.kind != "file":
        return f"{entry.kind}:{entry.size}:{entry.mtime_ns}" if entry.kind != "plugin" else "plugin"
    digest = hashlib.sha256()
    try:
        with open(root / entry.path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return "unreadable"
    return digest.hexdigest()


def stats_digest(stats: dict[str, FileStat]) -> str:
    """One digest of every stat, so a warm check compares a string instead of reading every recorded row."""
    lines = ("\0".join(map(str, stats[path])) for path in sorted(stats))
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def take_snapshot(root: Path) -> Snapshot:
    """Stat and hash every input (before the build reads them, so an edit during the build is noticed)."""
    taken = time.time_ns()
    stats = scan(root)
    return Snapshot(taken, stats, {path: content_hash(root, entry) for path, entry in stats.items()}, layout(root))


@dataclass(frozen=True)
class Freshness:
    """The outcome of comparing the inputs now with the snapshot an index was built from."""

    fresh: bool
    refreshable: bool = False
    """Fresh, but some stats moved (a touch, a checkout): recording them spares the next check the hashing."""
    stats: dict[str, FileStat] | None = None
    """The stats the comparison verified (only these may be recorded by a refresh)."""


def quick_check(root: Path, taken_ns: int, recorded_layout: str, digest: str) -> dict[str, FileStat] | None:
    """The inputs' stats when they could have changed since the snapshot; None when they are exactly as recorded.

    Exactly as recorded: same layout, same stats (by digest), and no file modified so close to the
    snapshot that an edit could have kept its stat.
    """
    now = scan(root)
    if layout(root) != recorded_layout or stats_digest(now) != digest:
        return now
    newest = max((entry.mtime_ns for entry in now.values()), default=0)
    return now if newest >= taken_ns - RACY_NS else None


def compare(root: Path, built: Snapshot, now: dict[str, FileStat] | None = None) -> Freshness:
    """Whether an index built from ``built`` still answers for the checkout at ``root`` (``now``: its stats)."""
    if layout(root) != built.layout:
        return Freshness(False)
    now = scan(root) if now is None else now
    if now.keys() != built.stats.keys():
        return Freshness(False)
    moved = False
    for path, entry in now.items():
        racy = entry.mtime_ns >= built.taken_ns - RACY_NS
        if entry == built.stats[path] and not racy:
            continue
        if content_hash(root, entry) != built.hashes[path]:
            return Freshness(False)
        moved = moved or entry != built.stats[path] or time.time_ns() - entry.mtime_ns > RACY_NS
    return Freshness(True, refreshable=moved, stats=now)
