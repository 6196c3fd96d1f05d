"""Atomic writes and the clean-up of what a killed write leaves behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lvlmkb import fsio
from lvlmkb.errors import UsageError
from lvlmkb.eval.run.runner import check_run_folder
from lvlmkb.fsio import remove_stale_temps, write_atomic, write_new


def test_stale_temporaries_of_run_files_are_removed_and_nothing_else(tmp_path: Path) -> None:
    write_atomic(tmp_path / "run.json", "{}")
    leftovers = [tmp_path / ".run.json.abc123.tmp", tmp_path / ".samples.jsonl.x9.tmp"]
    keep = [tmp_path / ".notes.txt.abc.tmp", tmp_path / "run.json", tmp_path / "mine.tmp"]
    for path in [*leftovers, *keep]:
        path.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="holds files lvlmkb did not write"):
        check_run_folder(tmp_path)  # the user's own files make it no run folder; they stay as they are
    assert not any(p.exists() for p in leftovers) and all(p.exists() for p in keep)


def test_a_linked_temporary_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep", encoding="utf-8")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".run.json.zz.tmp").symlink_to(target)
    assert remove_stale_temps(tmp_path / "run", ("run.json",)) == []
    assert target.read_text(encoding="utf-8") == "keep"


def test_write_new_never_replaces(tmp_path: Path) -> None:
    write_new(tmp_path / "a.yaml", "one")
    with pytest.raises(FileExistsError):
        write_new(tmp_path / "a.yaml", "two")
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["a.yaml"]


def test_written_files_follow_the_umask_not_owner_only(tmp_path: Path) -> None:
    atomic, new = tmp_path / "run.json", tmp_path / "paper.yaml"
    write_atomic(atomic, "{}")
    write_new(new, "id: x\n")
    expected = 0o666 & ~fsio._umask()
    assert stat.S_IMODE(atomic.stat().st_mode) == expected == stat.S_IMODE(new.stat().st_mode)
    assert expected & 0o044  # group and others can read under the usual 022 umask
