"""The compiled index answers exactly as the loaded KB does, stays fresh, and survives concurrent builds."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.kb.criteria import PaperFilter
from lvlmkb.kb.export import export_papers
from lvlmkb.kb.index import Index, index_path, open_index
from lvlmkb.kb.index import access as index_access
from lvlmkb.kb.index.dump import export_database
from lvlmkb.kb.index.inputs import RACY_NS
from lvlmkb.kb.parsecache import ParseCache
from lvlmkb.kb.query import facet_counts, incoming_relations, node_counts, select, year_kind_counts
from lvlmkb.kb.rows import panel_data, paper_row, stats_data
from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from tests.conftest import REPO, VALID_PAPER

CRITERIA = [
    PaperFilter(),
    PaperFilter(kind="attack"),
    PaperFilter(phase="training"),
    PaperFilter(category="black-box"),
    PaperFilter(facets=("access=black-box",)),
    PaperFilter(year=2024),
    PaperFilter(venue="neurips"),
    PaperFilter(text="typograph"),
    PaperFilter(has_code=True),
    PaperFilter(reproducible=False),
    PaperFilter(tags=("jailbreak",)),
    PaperFilter(kind="defense", year=2025, has_code=False),
]


def _age(root: Path, seconds: float = 10) -> None:
    """Date every input back, as files that were not just written (no racy time stamps)."""
    past = time.time() - seconds
    for folder in ("papers", "taxonomy", "reproductions"):
        for path in (root / folder).rglob("*"):
            os.utime(path, (past, past), follow_symlinks=False)


def _count_validations(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = validate

    def counting(project: Project, cache: ParseCache | None = None) -> object:
        calls.append(project.root)
        return real(project, cache)

    monkeypatch.setattr("lvlmkb.kb.validate.validate", counting)
    return calls


def _titles(index: Index) -> dict[str, str]:
    return {row[0]: row[1] for row in index.conn.execute("SELECT id, title FROM papers")}


def test_index_answers_as_the_loaded_kb(checkout: Path) -> None:
    report = validate(Project(checkout))
    kb = report.kb
    index = open_index(Project(checkout))
    assert index.error_count == sum(d.severity == "error" for d in report.diagnostics)
    for criteria in CRITERIA:
        papers = select(kb, criteria)
        assert index.list_rows(criteria) == [paper_row(p) for p in papers], criteria
        assert index.records(criteria) == [p.model_dump(mode="json", exclude_defaults=True) for p in papers]
        for fmt in ("bibtex", "csv", "json"):
            assert index.export(criteria, fmt) == export_papers(papers, fmt), (criteria, fmt)
    payload = index.stats_json()
    assert payload["nodes"] == node_counts(kb) and payload["facets"] == facet_counts(kb)
    assert payload["years"] == {str(y): row for y, row in year_kind_counts(kb).items()}
    assert index.stats_view() == stats_data(kb)
    for paper in kb.sorted_papers():
        assert index.panel(paper.id) == panel_data(kb, paper)
        assert index.incoming(paper.id) == incoming_relations(kb, paper.id)


def test_a_warm_call_does_not_validate_and_a_touch_costs_no_rebuild(
    kb_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _age(kb_root)
    calls = _count_validations(monkeypatch)
    open_index(Project(kb_root))
    assert len(calls) == 1
    open_index(Project(kb_root))
    assert len(calls) == 1, "a warm call answers from the database"
    paper = kb_root / "papers" / "doe2024example.yaml"
    past = time.time() - 5
    os.utime(paper, (past, past))  # a touch: new time stamp, same bytes
    open_index(Project(kb_root))
    assert len(calls) == 1, "same bytes: no rebuild"
    before = index_path(kb_root).stat().st_ino
    open_index(Project(kb_root))
    assert len(calls) == 1 and index_path(kb_root).stat().st_ino == before, "the refreshed stats are kept"


def test_an_edit_is_never_served_stale(kb_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _age(kb_root)
    calls = _count_validations(monkeypatch)
    assert _titles(open_index(Project(kb_root))) == {"doe2024example": "An Example Typographic Attack"}
    paper = kb_root / "papers" / "doe2024example.yaml"
    stat = paper.stat()
    # Same size and the same modification time as before: only the bytes (and the ctime) differ.
    paper.write_text(VALID_PAPER.replace("An Example Typographic Attack", "An Example Typographic Strike"))
    os.utime(paper, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert paper.stat().st_size == stat.st_size
    assert _titles(open_index(Project(kb_root))) == {"doe2024example": "An Example Typographic Strike"}
    assert len(calls) == 2


def test_an_edit_right_after_a_build_is_seen(kb_root: Path) -> None:
    """A file written within the racy window is hashed on every call, whatever its stat says."""
    open_index(Project(kb_root))
    paper = kb_root / "papers" / "doe2024example.yaml"
    stat = paper.stat()
    paper.write_text(VALID_PAPER.replace("Jane Doe", "Jane Dee"))
    os.utime(paper, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert time.time_ns() - stat.st_mtime_ns < RACY_NS
    record = open_index(Project(kb_root)).record("doe2024example")
    assert record["authors"] == ["Jane Dee", "John Roe"]


def test_added_and_removed_files_rebuild(kb_root: Path) -> None:
    _age(kb_root)
    open_index(Project(kb_root))
    other = VALID_PAPER.replace("doe2024example", "roe2024second").replace("An Example", "A Second")
    other = other.replace("2403.01234", "2403.05678")
    (kb_root / "papers" / "roe2024second.yaml").write_text(other)
    assert open_index(Project(kb_root)).ids() == ["roe2024second", "doe2024example"]
    (kb_root / "papers" / "doe2024example.yaml").unlink()
    assert open_index(Project(kb_root)).ids() == ["roe2024second"]


def test_a_taxonomy_edit_rebuilds(kb_root: Path) -> None:
    _age(kb_root)
    open_index(Project(kb_root))
    path = kb_root / "taxonomy" / "attacks.yaml"
    text = path.read_text()
    path.write_text(text.replace("label: Malicious typography", "label: Typography attacks"))
    panel = open_index(Project(kb_root)).panel("doe2024example")
    assert "Typography attacks" in dict(panel["rows"])["category"]


def test_a_broken_checkout_still_answers_with_its_diagnostics(kb_root: Path) -> None:
    (kb_root / "papers" / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n")
    index = open_index(Project(kb_root))
    expected = validate(Project(kb_root)).diagnostics
    assert index.error_count >= 1
    assert index.diagnostics() == expected
    assert index.ids() == ["doe2024example"]


def test_without_a_writable_build_folder_the_index_lives_in_memory(kb_root: Path) -> None:
    (kb_root / "build").write_text("not a folder")
    index = open_index(Project(kb_root))
    assert index.ids() == ["doe2024example"]
    assert (kb_root / "build").is_file()


def test_an_index_changed_while_building_is_not_kept(kb_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = index_access._build

    def build_then_edit(project: Project, previous: Path | None = None) -> object:
        result = real(project, previous)
        (kb_root / "papers" / "doe2024example.yaml").write_text(VALID_PAPER.replace("Jane Doe", "J. Doe"))
        return result

    monkeypatch.setattr(index_access, "_build", build_then_edit)
    assert open_index(Project(kb_root)).record("doe2024example")["authors"][0] == "Jane Doe"
    assert not index_path(kb_root).exists(), "a build that may be stale is not published"
    monkeypatch.setattr(index_access, "_build", real)
    assert open_index(Project(kb_root)).record("doe2024example")["authors"][0] == "J. Doe"


def test_a_damaged_index_is_rebuilt(kb_root: Path) -> None:
    open_index(Project(kb_root))
    index_path(kb_root).write_bytes(b"this is not a database")
    assert open_index(Project(kb_root)).ids() == ["doe2024example"]
    with sqlite3.connect(index_path(kb_root)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


BUILDER = """
import sys
from pathlib import Path
from lvlmkb.kb.index import open_index
from lvlmkb.project import Project
print(len(open_index(Project(Path(sys.argv[1]))).ids()))
"""


def test_concurrent_builds_do_not_corrupt(checkout: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "kb")}
    procs = [
        subprocess.Popen([sys.executable, "-c", BUILDER, str(checkout)], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=300)[0].strip() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    expected = str(len(validate(Project(checkout)).kb.papers))
    assert outputs == [expected] * 3
    folder = index_path(checkout).parent
    assert sorted(p.name for p in folder.iterdir()) == ["kb.lock", "kb.sqlite"], "no temporary file is left"
    with sqlite3.connect(index_path(checkout)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_every_paper_ranks_first_for_its_own_title(checkout: Path) -> None:
    index = open_index(Project(checkout))
    for paper_id, title in _titles(index).items():
        assert index.search(title, PaperFilter(), 5)[0] == paper_id, title


def test_search_words_prefixes_and_fallback(checkout: Path) -> None:
    index = open_index(Project(checkout))
    assert index.search("FigStep", PaperFilter(), 3)[0] == "gong2023figstep"
    assert "gong2023figstep" in index.search("jailbreak typo", PaperFilter(), 10), "the last word is a prefix"
    assert index.search("figstep zzzqqq", PaperFilter(), 3)[0] == "gong2023figstep", "no paper has both: any word"
    defenses = index.search("jailbreak", PaperFilter(kind="defense"), 50)
    assert defenses and {record["kind"] for record in index.rows_for(defenses, "record")} == {"defense"}
    with pytest.raises(UsageError):
        index.search("  --- ", PaperFilter(), 3)


@pytest.mark.parametrize(
    ("criteria", "hint"),
    [
        (PaperFilter(kind="attacks"), "did you mean 'attack'?"),
        (PaperFilter(phase="inferenc"), "did you mean 'inference'?"),
        (PaperFilter(category="black-box-typografy"), "did you mean 'black-box-typography'"),
        (PaperFilter(facets=("acces=black-box",)), "did you mean 'access'?"),
        (PaperFilter(facets=("access=blackbox",)), "did you mean 'black-box'"),
        (PaperFilter(tags=("typografy",)), "did you mean 'typography'?"),
    ],
)
def test_unknown_choices_are_usage_errors_with_a_suggestion(kb_root: Path, criteria: PaperFilter, hint: str) -> None:
    with pytest.raises(UsageError) as info:
        open_index(Project(kb_root)).list_rows(criteria)
    assert info.value.exit_code == 2 and hint in info.value.hint


def test_choices_match_in_any_case(kb_root: Path) -> None:
    index = open_index(Project(kb_root))
    for criteria in (PaperFilter(tags=("Typography",)), PaperFilter(kind="Attack"), PaperFilter(phase="INFERENCE")):
        assert [row[0] for row in index.list_rows(criteria)] == ["doe2024example"], criteria


def test_sort_by_citations_puts_missing_last(kb_root: Path) -> None:
    for name, count in (("aaa2024cited", 5), ("bbb2024most", 90), ("ccc2024none", None)):
        text = VALID_PAPER.replace("doe2024example", name).replace("An Example", f"Paper {name}")
        text = text.replace("arxiv: '2403.01234'\n", "").replace("2403.01234", name)
        if count is not None:
            text += f"citations: {{count: {count}, source: semantic-scholar, checked: '2026-01-05'}}\n"
        (kb_root / "papers" / f"{name}.yaml").write_text(text)
    index = open_index(Project(kb_root))
    assert index.error_count == 0, index.diagnostics()
    ordered = [row[0] for row in index.list_rows(PaperFilter(), "citations")]
    assert ordered[:2] == ["bbb2024most", "aaa2024cited"]
    assert set(ordered[2:]) == {"ccc2024none", "doe2024example"}


def test_unknown_paper_suggests_close_ids(kb_root: Path) -> None:
    with pytest.raises(NotFoundError) as info:
        open_index(Project(kb_root)).panel("doe2024exampel")
    assert "doe2024example" in info.value.hint


def test_export_database_is_readable_and_never_overwritten(kb_root: Path, tmp_path: Path) -> None:
    index = open_index(Project(kb_root))
    out = tmp_path / "out" / "kb.sqlite"
    export_database(index, out)
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT id, year FROM papers").fetchall() == [("doe2024example", 2024)]
        hits = conn.execute("SELECT rowid FROM papers_fts WHERE papers_fts MATCH 'typographic'").fetchall()
        assert len(hits) == 1
        assert conn.execute("SELECT tag FROM paper_tags").fetchall() == [("typography",)]
    with pytest.raises(UsageError, match="already exists"):
        export_database(index, out)
    export_database(index, out, force=True)
    with pytest.raises(UsageError, match="is a folder"):
        export_database(index, tmp_path)
    assert sorted(p.name for p in out.parent.iterdir()) == ["kb.sqlite"]


def test_temporary_files_of_a_killed_build_are_removed(kb_root: Path) -> None:
    folder = index_path(kb_root).parent
    folder.mkdir(parents=True)
    old, recent = folder / ".kb.sqlite.old1.tmp", folder / ".kb.sqlite.new1.tmp"
    for temp in (old, recent):
        temp.write_bytes(b"partial")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    open_index(Project(kb_root))
    assert not old.exists() and recent.exists(), "only an old one is abandoned; a recent one may be in use"
