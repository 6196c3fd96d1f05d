"""``lvlmkb export``: BibTeX, CSV and JSON round trips and escaping."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

import lvlmkb
from lvlmkb.errors import LvlmkbError
from lvlmkb.kb.export import (
    CSV_COLUMNS,
    bibtex_entry,
    bibtex_escape,
    csv_cell,
    entry_type,
    export_papers,
    to_bibtex,
    venue_title,
)
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.schema import Paper
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import find_root
from tests.conftest import REPO

HOSTILE_TITLE = r"50% & $5 #1 a_b {x} ~y^z \end"


def _paper(**changes: object) -> Paper:
    base = {
        "id": "doe2024example",
        "title": "An Example Typographic Attack",
        "authors": ["Jane Doe", "Jürgen Ñúñez"],
        "year": 2024,
        "venue": "NeurIPS'24",
        "arxiv": "2403.01234",
        "kind": "attack",
        "phase": "inference",
        "category": "black-box-typography",
        "summary": "A summary.",
    }
    return Paper.model_validate(base | changes)


@pytest.fixture(scope="module")
def real_kb() -> KnowledgeBase:
    kb, _ = open_kb(find_root(explicit=REPO))
    return kb


# --- a small BibTeX reader: enough to check structure, not a full parser ---------------------------

ENTRY_HEAD = re.compile(r"^@(?P<type>[a-z]+)\{(?P<key>[^,\s{}]+),$", re.MULTILINE)
FIELD = re.compile(r"^  (?P<name>[A-Za-z]+) = \{(?P<value>.*)\},$")


def parse_bibtex(text: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Key → (entry type, fields); asserts unique keys, balanced braces and one field per line."""
    entries: dict[str, tuple[str, dict[str, str]]] = {}
    for chunk in filter(None, text.split("\n\n")):
        lines = chunk.strip("\n").splitlines()
        head = ENTRY_HEAD.match(lines[0])
        assert head is not None, lines[0]
        assert lines[-1] == "}", chunk
        assert head["key"] not in entries, f"duplicate key {head['key']}"
        assert _balanced(chunk), chunk
        fields: dict[str, str] = {}
        for line in lines[1:-1]:
            match = FIELD.match(line)
            assert match is not None, line
            assert _balanced(match["value"]), line
            fields[match["name"]] = match["value"]
        entries[head["key"]] = (head["type"], fields)
    return entries


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _unescaped_specials(value: str) -> list[str]:
    """Special characters not written as a LaTeX escape (commands and their {} are removed first)."""
    stripped = re.sub(r"\\text[a-z]+\{\}|\\[&%$#_]", "", value)
    return re.findall(r"[&%$#_~^\\]", stripped)


# --- BibTeX ---------------------------------------------------------------------------------------


def test_bibtex_of_real_kb_parses(real_kb: KnowledgeBase) -> None:
    entries = parse_bibtex(export_papers(real_kb.papers.values(), "bibtex"))
    assert set(entries) == set(real_kb.papers)
    assert list(entries) == sorted(entries)
    for key, (kind, fields) in entries.items():
        paper = real_kb.papers[key]
        assert kind in {"inproceedings", "article", "misc"}
        assert fields["title"].startswith("{") and fields["title"].endswith("}")
        assert fields["year"] == str(paper.year)
        assert ("author" in fields) == bool(paper.authors)
        assert paper.category in fields["note"]
        assert not _unescaped_specials(fields["title"][1:-1]), fields["title"]
    _, figstep = entries["gong2023figstep"]
    assert figstep["eprint"] == "2311.05608" and figstep["archivePrefix"] == "arXiv"


def test_bibtex_escapes_special_characters() -> None:
    entries = parse_bibtex(bibtex_entry(_paper(title=HOSTILE_TITLE, authors=["A & B Lab", "Ann and Bob"])))
    _, fields = entries["doe2024example"]
    title = fields["title"]
    assert title == (
        r"{50\% \& \$5 \#1 a\_b \textbraceleft{}x\textbraceright{} "
        r"\textasciitilde{}y\textasciicircum{}z \textbackslash{}end}"
    )
    assert not _unescaped_specials(title)
    assert fields["author"] == r"A \& B Lab and {Ann and Bob}"


def test_unbalanced_braces_stay_balanced() -> None:
    escaped = bibtex_escape("}{ a { b")
    assert _balanced(escaped)
    assert parse_bibtex(bibtex_entry(_paper(title="}}} {{")))


def test_bibtex_keeps_utf8_and_omits_empty_authors() -> None:
    text = bibtex_entry(_paper(authors=["Jürgen Ñúñez", "王小明"]))
    assert "author = {Jürgen Ñúñez and 王小明}" in text
    assert "author" not in bibtex_entry(_paper(authors=[]))


@pytest.mark.parametrize(
    ("venue", "expected"),
    [
        ("NeurIPS'24", "inproceedings"),
        ("ICLR'24 Workshop", "inproceedings"),
        ("EMNLP'24 Findings", "inproceedings"),
        ("TOSEM'25", "article"),
        ("TPAMI'24", "article"),
        ("TIFS'25", "article"),
        ("IEEE Transactions on Information Forensics and Security", "article"),
        ("arXiv'24", "misc"),
        (None, "misc"),
    ],
)
def test_entry_type(venue: str | None, expected: str) -> None:
    assert entry_type(venue) == expected


def test_entry_fields_per_type() -> None:
    _, conf = parse_bibtex(bibtex_entry(_paper(venue="ICML'24 Workshop")))["doe2024example"]
    assert conf["booktitle"] == "ICML 2024 Workshop" and "journal" not in conf
    _, journal = parse_bibtex(bibtex_entry(_paper(venue="TOSEM'25", year=2025)))["doe2024example"]
    assert journal["journal"] == "TOSEM" and "booktitle" not in journal
    kind, misc = parse_bibtex(bibtex_entry(_paper(venue="arXiv'24")))["doe2024example"]
    assert kind == "misc" and misc["eprint"] == "2403.01234" and misc["archivePrefix"] == "arXiv"
    assert misc["url"] == "https://arxiv.org/abs/2403.01234"
    assert venue_title("Some Venue") == "Some Venue"


def test_bibtex_refuses_duplicate_keys() -> None:
    with pytest.raises(LvlmkbError, match="two papers have the id 'doe2024example'"):
        to_bibtex([_paper(), _paper(title="Another title")])


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_round_trip(real_kb: KnowledgeBase) -> None:
    rows = list(csv.DictReader(io.StringIO(export_papers(real_kb.papers.values(), "csv"))))
    assert len(rows) == len(real_kb.papers)
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["id"] for r in rows] == sorted(real_kb.papers)
    for row in rows:
        paper = real_kb.papers[row["id"]]
        assert row["authors"].split("; ") == (paper.authors or [""])
        assert row["year"] == str(paper.year)
        assert row["code_url"] == (paper.urls.code or "")
        assert row["reproductions"] == "; ".join(paper.reproductions)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cell_guards_formulas(start: str) -> None:
    assert csv_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_guards_formulas_in_titles(start: str) -> None:
    rows = list(csv.DictReader(io.StringIO(export_papers([_paper(title=f"{start}cmd|' /C calc'!A0")], "csv"))))
    assert rows[0]["title"] == f"'{start}cmd|' /C calc'!A0"


def test_csv_quotes_commas_and_newlines() -> None:
    paper = _paper(title='A "quoted", comma\ntitle', tags=["a", "b"], targets=["llava-1.5-7b"])
    (row,) = csv.DictReader(io.StringIO(export_papers([paper], "csv")))
    assert row["title"] == 'A "quoted", comma\ntitle'
    assert row["tags"] == "a; b" and row["targets"] == "llava-1.5-7b"
    assert csv_cell("plain") == "plain"


# --- JSON -----------------------------------------------------------------------------------------


def test_json_round_trip(real_kb: KnowledgeBase) -> None:
    payload = json.loads(export_papers(real_kb.papers.values(), "json"))
    assert payload["lvlmkb_version"] == lvlmkb.__version__
    papers = [Paper.model_validate(item) for item in payload["papers"]]
    assert [p.id for p in papers] == sorted(real_kb.papers)
    assert all(p == real_kb.papers[p.id] for p in papers)
    assert all(None not in item.values() for item in payload["papers"])


def test_json_is_deterministic(real_kb: KnowledgeBase) -> None:
    forward = export_papers(real_kb.papers.values(), "json")
    assert export_papers(reversed(list(real_kb.papers.values())), "json") == forward


def test_unknown_format() -> None:
    with pytest.raises(LvlmkbError, match="unknown export format 'xml'"):
        export_papers([], "xml")


def test_export_of_tmp_kb(kb_root: Path) -> None:
    kb, _ = open_kb(find_root(explicit=kb_root))
    assert parse_bibtex(export_papers(kb.papers.values(), "bibtex"))["doe2024example"][0] == "inproceedings"
