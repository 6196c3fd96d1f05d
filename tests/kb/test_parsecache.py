"""An index rebuild parses only the files whose bytes changed, and never serves a parse it cannot trust."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lvlmkb.kb.index import access as index_access
from lvlmkb.kb.index import index_path, open_index
from lvlmkb.kb.parsecache import ParseCache, content_digest
from lvlmkb.kb.validate import validate
from lvlmkb.kb.yamlio import read_yaml
from lvlmkb.project import Project
from tests.conftest import VALID_PAPER


def _record_caches(monkeypatch: pytest.MonkeyPatch) -> list[ParseCache]:
    """Run the real validation, keeping the parse cache each index build hands it."""
    caches: list[ParseCache] = []

    def recording(project: Project, cache: ParseCache | None = None) -> object:
        assert cache is not None, "an index build always reads through a parse cache"
        caches.append(cache)
        return validate(project, cache)

    monkeypatch.setattr("lvlmkb.kb.validate.validate", recording)
    return caches


def _second_paper(root: Path) -> Path:
    text = VALID_PAPER.replace("doe2024example", "roe2024second").replace("An Example", "A Second")
    path = root / "papers" / "roe2024second.yaml"
    path.write_text(text.replace("2403.01234", "2403.05678"), encoding="utf-8")
    return path


def test_a_rebuild_after_one_edit_parses_only_that_file(kb_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _second_paper(kb_root)
    caches = _record_caches(monkeypatch)
    open_index(Project(kb_root))
    first = caches[-1]
    assert first.hits == 0 and len(first.used) >= 3, "a cold build parses every file"
    edited = kb_root / "papers" / "doe2024example.yaml"
    edited.write_text(VALID_PAPER.replace("Jane Doe", "Jane Dee"), encoding="utf-8")
    index = open_index(Project(kb_root))
    second = caches[-1]
    assert second is not first
    assert second.hits == len(first.used) - 1, "every file but the edited one comes from the cache"
    assert content_digest(edited.read_bytes()) not in first.used
    assert index.record("doe2024example")["authors"] == ["Jane Dee", "John Roe"]
    assert index.record("roe2024second")["title"].startswith("A Second")


def test_the_incremental_index_answers_as_a_cold_one(kb_root: Path) -> None:
    _second_paper(kb_root)
    open_index(Project(kb_root))
    edited = kb_root / "papers" / "doe2024example.yaml"
    edited.write_text(VALID_PAPER.replace("An Example Typographic Attack", "A Renamed Attack"), encoding="utf-8")
    warm = open_index(Project(kb_root))
    incremental = {table: sorted(warm.conn.execute(f"SELECT * FROM {table}")) for table in ("papers", "paper_rows")}
    index_path(kb_root).unlink()
    cold = open_index(Project(kb_root))
    assert incremental == {table: sorted(cold.conn.execute(f"SELECT * FROM {table}")) for table in incremental}
    assert warm.record("doe2024example")["title"] == "A Renamed Attack"


def test_data_with_keys_json_cannot_keep_is_never_cached(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text("1: one\n2.5: half\n", encoding="utf-8")
    cache = ParseCache()
    doc, problems = read_yaml(path, "numbers.yaml", cache)
    assert problems == [] and doc is not None and doc.data == {1: "one", 2.5: "half"}
    assert cache.used == {}, "JSON would turn the keys into strings"
    plain = tmp_path / "plain.yaml"
    plain.write_text("a: [1, 2.5, null]\n", encoding="utf-8")
    doc, _ = read_yaml(plain, "plain.yaml", cache)
    assert doc is not None and list(cache.used) == [content_digest(plain.read_bytes())]
    again, _ = read_yaml(plain, "plain.yaml", ParseCache(dict(cache.used)))
    assert again is not None and again.data == {"a": [1, 2.5, None]}


def test_an_entry_that_is_not_json_is_parsed_again(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    cache = ParseCache({content_digest(path.read_bytes()): "{not json"})
    doc, _ = read_yaml(path, "a.yaml", cache)
    assert doc is not None and doc.data == {"a": 1} and cache.hits == 0


def test_another_engine_reuses_nothing(kb_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_index(Project(kb_root))
    assert index_access.previous_build(index_path(kb_root)).parsed, "the same engine reuses the parses"
    monkeypatch.setattr(index_access, "engine_fingerprint", lambda: "another engine")
    reuse = index_access.previous_build(index_path(kb_root))
    assert reuse.parsed == {} and reuse.rows == {}


def test_a_damaged_parse_table_is_ignored(kb_root: Path) -> None:
    open_index(Project(kb_root))
    with sqlite3.connect(index_path(kb_root)) as conn:
        conn.execute("DROP TABLE parsed")
    assert index_access.previous_build(index_path(kb_root)).parsed == {}
    assert index_access.previous_build(kb_root / "no-such.sqlite").parsed == {}
    paper = kb_root / "papers" / "doe2024example.yaml"
    paper.write_text(VALID_PAPER.replace("Jane Doe", "Jane Dee"), encoding="utf-8")
    assert open_index(Project(kb_root)).record("doe2024example")["authors"][0] == "Jane Dee"
