"""File writing that never leaves a half-written file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    """The process umask (read by setting and restoring it: done once, while lvlmkb is imported)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()
FILE_MODE = _FILE_MODE
"""The mode ``open`` gives a new file under the process umask (for files written some other way)."""


def _write_temp(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to a synced temporary file beside ``path`` and return its path.

    ``mkstemp`` creates the file readable by its owner only; it is given the mode that ``open`` would
    have given it under the umask, so a record or a paper file is as readable as any other file the user writes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) atomically: a temporary file, then a rename."""
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_new(path: Path, text: str) -> None:
    """Create ``path`` with ``text`` atomically; raise FileExistsError rather than overwrite."""
    tmp = _write_temp(path, text)
    try:
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temps(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """Delete the temporary files that a killed :func:`write_atomic` of ``folder/<name>`` left behind."""
    if not folder.is_dir():
        return []
    stale = [p for name in names for p in folder.glob(f".{name}.*.tmp") if p.is_file() and not p.is_symlink()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
