"""Exports of the paper records as BibTeX, CSV or JSON text, in paper-id order.

Every function returns text and never writes; ``lvlmkb export`` prints it or writes it atomically.
The ``*_document`` functions assemble a whole export from per-paper pieces (the compiled index stores
those pieces, so an export from the index needs no schema objects); this module imports no pydantic.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lvlmkb import __version__
from lvlmkb.errors import LvlmkbError

if TYPE_CHECKING:
    from lvlmkb.kb.schema import Paper

EXPORT_FORMATS = ("bibtex", "csv", "json")

CSV_COLUMNS = (
    "id",
    "title",
    "authors",
    "year",
    "venue",
    "date",
    "arxiv",
    "kind",
    "phase",
    "category",
    "tags",
    "targets",
    "paper_url",
    "code_url",
    "reproductions",
)
LIST_SEPARATOR = "; "

# Venue short names that are journals (venues are written NAME'YY, e.g. TOSEM'25); everything else
# except arXiv is taken for a conference or workshop.
JOURNALS = frozenset(
    {
        "CSUR",
        "IJCV",
        "JMLR",
        "TACL",
        "TCSVT",
        "TDSC",
        "TIFS",
        "TIP",
        "TKDE",
        "TMLR",
        "TMM",
        "TNNLS",
        "TOMM",
        "TOPS",
        "TOSEM",
        "TPAMI",
        "TSE",
    }
)
_JOURNAL_WORDS = re.compile(r"\b(?:journal|transactions)\b", re.IGNORECASE)
_VENUE = re.compile(r"^(?P<name>[^']+)'(?P<yy>\d{2})(?P<rest>.*)$")

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
}
_BIBTEX_PATTERN = re.compile("|".join(re.escape(ch) for ch in _BIBTEX_SPECIAL))
_URL_UNSAFE = {"{": "%7B", "}": "%7D", "\\": "%5C"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_papers(papers: Iterable[Paper], fmt: str) -> str:
    """Serialise ``papers`` (sorted by id) in ``fmt``: ``bibtex``, ``csv`` or ``json``."""
    ordered = sorted(papers, key=lambda p: p.id)
    if fmt == "bibtex":
        return to_bibtex(ordered)
    if fmt == "csv":
        return to_csv(ordered)
    if fmt == "json":
        return to_json(ordered)
    raise LvlmkbError(f"unknown export format '{fmt}'", f"use one of {', '.join(EXPORT_FORMATS)}")


# --- BibTeX ---------------------------------------------------------------------------------------


def bibtex_escape(text: str) -> str:
    """Text safe inside a braced BibTeX value: LaTeX specials escaped, braces kept balanced, whitespace folded."""
    flat = " ".join(text.split())
    return _BIBTEX_PATTERN.sub(lambda match: _BIBTEX_SPECIAL[match.group(0)], flat)


def entry_type(venue: str | None) -> str:
    """``inproceedings`` for conferences and workshops, ``article`` for journals, ``misc`` for preprints."""
    if venue is None:
        return "misc"
    name = _venue_name(venue)
    if name.lower() == "arxiv":
        return "misc"
    if name in JOURNALS or _JOURNAL_WORDS.search(name):
        return "article"
    return "inproceedings"


def _venue_name(venue: str) -> str:
    match = _VENUE.match(venue)
    return (match.group("name") if match else venue).strip()


def venue_title(venue: str) -> str:
    """``NeurIPS'24 Workshop`` → ``NeurIPS 2024 Workshop``; other spellings are kept as written."""
    match = _VENUE.match(venue)
    if match is None:
        return venue
    return f"{match.group('name').strip()} 20{match.group('yy')}{match.group('rest')}".strip()


def _author_field(authors: Sequence[str]) -> str:
    names = []
    for name in authors:
        escaped = bibtex_escape(name)
        # A literal "and" inside one name would split it into two authors: brace the whole name.
        names.append(f"{{{escaped}}}" if re.search(r"\band\b", escaped, re.IGNORECASE) else escaped)
    return " and ".join(names)


def _bibtex_url(url: str) -> str:
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in url)


def bibtex_entry(paper: Paper) -> str:
    """One BibTeX entry keyed by the paper id."""
    kind = entry_type(paper.venue)
    fields: list[tuple[str, str]] = [("title", f"{{{bibtex_escape(paper.title)}}}")]
    if paper.authors:
        fields.append(("author", _author_field(paper.authors)))
    fields.append(("year", str(paper.year)))
    if kind == "inproceedings" and paper.venue:
        fields.append(("booktitle", bibtex_escape(venue_title(paper.venue))))
    elif kind == "article" and paper.venue:
        fields.append(("journal", bibtex_escape(_venue_name(paper.venue))))
    if paper.arxiv:
        fields += [("eprint", bibtex_escape(paper.arxiv)), ("archivePrefix", "arXiv")]
    url = paper.urls.paper or (f"https://arxiv.org/abs/{paper.arxiv}" if paper.arxiv else None)
    if url:
        fields.append(("url", _bibtex_url(url)))
    fields.append(("note", bibtex_escape(f"lvlmkb: {paper.kind}, category {paper.category}")))
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
    return f"@{kind}{{{paper.id},\n{body}}}\n"


def to_bibtex(papers: Sequence[Paper]) -> str:
    """One entry per paper; keys are the paper ids, which must be unique."""
    seen: set[str] = set()
    for paper in papers:
        if paper.id in seen:
            raise LvlmkbError(f"two papers have the id '{paper.id}'", "paper ids must be unique; run `lvlmkb validate`")
        seen.add(paper.id)
    return bibtex_document([bibtex_entry(paper) for paper in papers])


def bibtex_document(entries: Iterable[str]) -> str:
    """The entries (from :func:`bibtex_entry`) as one BibTeX file."""
    return "\n".join(entries)


# --- CSV ------------------------------------------------------------------------------------------


def csv_cell(value: str) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ (or tab, CR) gets a leading apostrophe."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def csv_row(paper: Paper) -> dict[str, str]:
    """The CSV cells of one paper, by column name (lists joined with ``"; "``)."""
    row = {
        "id": paper.id,
        "title": paper.title,
        "authors": LIST_SEPARATOR.join(paper.authors),
        "year": str(paper.year),
        "venue": paper.venue or "",
        "date": paper.date or "",
        "arxiv": paper.arxiv or "",
        "kind": paper.kind,
        "phase": paper.phase or "",
        "category": paper.category,
        "tags": LIST_SEPARATOR.join(paper.tags),
        "targets": LIST_SEPARATOR.join(paper.targets),
        "paper_url": paper.urls.paper or "",
        "code_url": paper.urls.code or "",
        "reproductions": LIST_SEPARATOR.join(paper.reproductions),
    }
    return {column: csv_cell(value) for column, value in row.items()}


def to_csv(papers: Sequence[Paper]) -> str:
    """A header row, then one row per paper."""
    return csv_document(csv_row(paper) for paper in papers)


def csv_document(rows: Iterable[Mapping[str, str]]) -> str:
    """A header row, then the rows (from :func:`csv_row`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()


# --- JSON -----------------------------------------------------------------------------------------


def to_json(papers: Sequence[Paper]) -> str:
    """``{"lvlmkb_version": ..., "papers": [...]}`` with each paper as its JSON dump (no null fields)."""
    return json_document(json_record(paper) for paper in papers)


def json_record(paper: Paper) -> dict[str, Any]:
    """One paper as the JSON export writes it (no null fields)."""
    return paper.model_dump(mode="json", exclude_none=True)


def json_document(records: Iterable[Mapping[str, Any]]) -> str:
    """``{"lvlmkb_version": ..., "papers": [...]}`` from the records (from :func:`json_record`)."""
    payload = {"lvlmkb_version": __version__, "papers": list(records)}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
