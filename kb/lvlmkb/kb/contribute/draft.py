"""A new paper file: its proposed id, duplicate checks, YAML text, pre-write checks and the write."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lvlmkb.errors import Diagnostic, LvlmkbError, UsageError
from lvlmkb.fsio import write_new
from lvlmkb.kb.checks import check_paper, normalised_title
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.load import parse_model
from lvlmkb.kb.schema import Paper
from lvlmkb.kb.schema.common import SLUG_PATTERN
from lvlmkb.kb.yamlio import YamlDocument, load_plain

SCHEMA_LINE = "# yaml-language-server: $schema=paper.schema.json\n"
FIELD_ORDER = tuple(Paper.model_fields)  # the schema declares the fields in the KB's file order
FLOW_FIELDS = frozenset({"tags", "targets", "facets", "sources", "unverified", "citations"})
"""Fields written in flow style inside (``[a, b]``, ``{kind: arxiv, ...}``), as the KB's files write them."""
TITLE_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "of",
        "in",
        "for",
        "to",
        "via",
        "and",
        "with",
        "is",
        "are",
        "can",
        "your",
        "from",
        "be",
        "how",
        "do",
        "does",
        "when",
        "towards",
        "toward",
        "by",
        "at",
        "as",
        "not",
        "all",
        "you",
        "need",
        "its",
        "it",
        "we",
        "our",
        "into",
    ]
)
MAX_ID = 60


class DuplicatePaperError(LvlmkbError):
    """The paper is already in the knowledge base."""


class DraftInvalidError(UsageError):
    """The new entry would not validate; nothing was written."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        lines = "; ".join(f"{d.field}: {d.message}" if d.field else d.message for d in diagnostics[:8])
        super().__init__(f"the new entry is not valid: {lines}", "fix the values you passed and run it again")
        self.diagnostics = diagnostics


def _ascii_word(word: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower())


def propose_id(title: str, authors: list[str], year: int, taken: set[str]) -> str:
    """``<first author's surname><year><first title keyword>``, made unique with a numeric suffix."""
    head = title.split(":")[0] if ":" in title and len(title.split(":")[0].split()) <= 4 else title
    words = [w for w in (_ascii_word(x) for x in re.split(r"[\s\-/]+", head)) if w and w not in TITLE_STOPWORDS]
    keyword = words[0] if words else "paper"
    surname = _ascii_word(authors[0].split()[-1]) if authors and authors[0].split() else ""
    base = (f"{surname}{year}{keyword}" if surname else f"{keyword}{year}")[:MAX_ID]
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}{suffix}", suffix + 1
    return candidate


def check_id(paper_id: str, kb: KnowledgeBase) -> None:
    """Refuse an id that is not a slug or is taken."""
    if not re.fullmatch(SLUG_PATTERN, paper_id) or len(paper_id) > 80:
        raise UsageError(f"{paper_id!r} is not a slug id", "use lowercase letters and digits, e.g. gong2023figstep")
    if paper_id in kb.papers or (kb.project.papers_dir / f"{paper_id}.yaml").exists():
        raise DuplicatePaperError(f"the id {paper_id} is taken (papers/{paper_id}.yaml)", "choose another --id")


def find_duplicate(kb: KnowledgeBase, arxiv_id: str | None, title: str | None) -> Paper | None:
    """The paper with the same arXiv id or the same normalised title, if any."""
    wanted = normalised_title(title) if title else None
    for paper in kb.papers.values():
        if arxiv_id and paper.arxiv == arxiv_id:
            return paper
        if wanted and normalised_title(paper.title) == wanted:
            return paper
    return None


def refuse_duplicate(kb: KnowledgeBase, arxiv_id: str | None, title: str | None) -> None:
    """Raise :class:`DuplicatePaperError` naming the existing file when the paper is in the KB."""
    existing = find_duplicate(kb, arxiv_id, title)
    if existing is None:
        return
    same = f"arXiv {arxiv_id}" if arxiv_id and existing.arxiv == arxiv_id else "the same title"
    raise DuplicatePaperError(
        f"already in the knowledge base: papers/{existing.id}.yaml has {same}",
        f"edit papers/{existing.id}.yaml instead (lvlmkb show {existing.id})",
    )


def refuse_undecodable(data: dict[str, Any]) -> None:
    """Refuse values that are not UTF-8 text (a command line's undecodable bytes arrive as lone surrogates).

    Raises:
        UsageError: naming the first such field.
    """
    for key, value in data.items():
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(
                f"the {key} holds bytes that are not UTF-8 text", "type the value again in a UTF-8 terminal"
            ) from None


def render_yaml(data: dict[str, Any]) -> str:
    """The paper file's text: the schema comment, then fields in the KB's order."""
    parts = [SCHEMA_LINE]
    for key in FIELD_ORDER:
        if key not in data or data[key] in (None, [], {}):
            continue
        parts.append(dump_field(key, data[key]))
    return "".join(parts)


def dump_field(key: str, value: Any) -> str:
    """One top-level field as the KB's files write it (``refresh`` rewrites single fields with this too)."""
    if key in FLOW_FIELDS:
        return yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None)
    return yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=120)


def checked_paper(kb: KnowledgeBase, text: str, paper_id: str) -> Paper:
    """Parse ``text`` as the file ``papers/<id>.yaml`` and run every check on it against ``kb``.

    The check is stricter than ``validate``'s: a required field (title, authors, date, venue, code
    link) that the entry sets with neither a source nor an ``unverified`` entry is an error here.

    Raises:
        DraftInvalidError: with every problem found, located in the would-be file.
    """
    path = kb.project.papers_dir / f"{paper_id}.yaml"
    doc = YamlDocument(path, f"papers/{paper_id}.yaml", load_plain(text), text)
    paper, problems = parse_model(doc, Paper)
    if paper is None:
        raise DraftInvalidError(problems)
    kb.papers[paper.id] = paper
    kb.paper_docs[paper.id] = doc
    try:
        problems = [d for d in check_paper(kb, paper, strict_sources=True) if d.severity == "error"]
    finally:
        del kb.papers[paper.id], kb.paper_docs[paper.id]
    if problems:
        raise DraftInvalidError(problems)
    return paper


@dataclass(frozen=True)
class WrittenPaper:
    """What add-paper wrote."""

    paper: Paper
    path: Path
    text: str


def write_paper(kb: KnowledgeBase, paper: Paper, text: str) -> WrittenPaper:
    """Create ``papers/<id>.yaml`` atomically; never replace an existing file."""
    path = kb.project.papers_dir / f"{paper.id}.yaml"
    try:
        write_new(path, text)
    except FileExistsError:
        raise DuplicatePaperError(f"papers/{paper.id}.yaml already exists", "choose another --id") from None
    return WrittenPaper(paper, path, text)
