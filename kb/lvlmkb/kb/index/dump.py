"""``lvlmkb export sqlite``: hand the index to Datasette or any SQL tool as a standalone file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lvlmkb.errors import UsageError
from lvlmkb.fsio import FILE_MODE
from lvlmkb.kb.index.reader import Index
from lvlmkb.kb.index.store import copy_database


def export_database(index: Index, out: Path, force: bool = False) -> None:
    """Write a copy of ``index`` to ``out`` atomically; never replace an existing file unless ``force``.

    Raises:
        UsageError: ``out`` is a folder, or exists and ``force`` is not given.
    """
    if out.is_dir():
        raise UsageError(f"{out} is a folder", "pass a file path to --out")
    if out.exists() and not force:
        raise UsageError(f"{out} already exists", "pass --force to overwrite it, or choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    temp = Path(name)
    try:
        copy_database(index.conn, temp)
        os.chmod(temp, FILE_MODE)
        if force:
            os.replace(temp, out)
        else:
            try:
                os.link(temp, out)
            except FileExistsError:
                raise UsageError(
                    f"{out} already exists", "pass --force to overwrite it, or choose another --out"
                ) from None
    finally:
        temp.unlink(missing_ok=True)
