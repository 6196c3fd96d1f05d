"""arXiv API answers (Atom feeds) parsed with ``feedparser``, after lvlmkb's own hardening checks.

A body is handed to ``feedparser`` only when it is at most :data:`MAX_FEED_BYTES`, valid UTF-8, declares
no other encoding and holds no NUL, DOCTYPE or ENTITY declaration, so no entity can expand and no DTD is
fetched whatever ``feedparser`` does underneath. ``feedparser`` reads the body from memory (never as a
URL or a file name), and any answer it had to recover from (``bozo``) counts as malformed. The feed
format is arXiv's: ``arxiv:comment`` / ``arxiv:journal_ref`` extensions, the version at the end of the
entry id (``.../abs/2311.05608v3``) and an entry titled ``Error`` for a malformed id.
"""

from __future__ import annotations

import dataclasses
import io
import re
from dataclasses import dataclass, field
from typing import Any

from lvlmkb.errors import LvlmkbError
from lvlmkb.netio import ServiceUnavailableError

ARXIV_NS_URI = "http://arxiv.org/schemas/atom"
MAX_FEED_BYTES = 2_000_000
OFFLINE_HINT = "add it offline with --offline --title ... --authors ... --year ..."
_DECLARATION = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_ENCODING = re.compile(r"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']*)["']""")
_CODE_LINK = re.compile(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/[\w.-]+/[\w.-]+")
_ENTRY_ID = re.compile(r"/abs/(?P<id>.+?)(?:v(?P<version>\d{1,3}))?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_WITHDRAWN = re.compile(r"\bwithdrawn\b", re.IGNORECASE)


class ArxivUnavailableError(ServiceUnavailableError):
    """arXiv could not be reached or did not answer usefully."""


class ArxivLookupError(LvlmkbError):
    """arXiv answered, but not with a usable paper (unknown id, withdrawn, malformed feed)."""


@dataclass(frozen=True)
class ArxivRecord:
    """The metadata lvlmkb takes from one arXiv entry (one version of a paper)."""

    arxiv_id: str
    title: str
    authors: list[str]
    published: str
    abstract: str = ""
    comment: str = ""
    journal_ref: str = ""
    code_links: list[str] = field(default_factory=list)
    version: int = 1
    """The version the entry describes (arXiv answers the latest unless the id names one)."""
    updated: str = ""
    """The day this version was submitted, YYYY-MM-DD (``published`` is the first version's)."""
    withdrawn: bool = False

    @property
    def year(self) -> int:
        """Year of the first version."""
        return int(self.published[:4])

    @property
    def url(self) -> str:
        """The abstract page."""
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def ref(self) -> str:
        """The id with its version, as provenance records name an arXiv source: ``2311.05608v3``."""
        return f"{self.arxiv_id}v{self.version}"


def parse_feed(body: bytes, arxiv_id: str) -> ArxivRecord:
    """Parse an ``id_list`` answer into the record for ``arxiv_id`` (a bare id).

    Raises:
        ArxivLookupError: malformed or foreign feed, an error entry, no entry, or a withdrawn paper.
    """
    for record in parse_entries(body, arxiv_id):
        if record.arxiv_id.lower() != arxiv_id.lower():
            continue
        if record.withdrawn:
            raise ArxivLookupError(
                f"arXiv {arxiv_id} is withdrawn ({record.comment or record.abstract[:80]})",
                "withdrawn papers are not added; if it was republished, use the new id",
            )
        return dataclasses.replace(record, arxiv_id=arxiv_id)
    raise ArxivLookupError(f"arXiv has no paper {arxiv_id}", "check the id, or add it with --offline")


def parse_entries(body: bytes, context: str) -> list[ArxivRecord]:
    """Every usable paper entry of a feed, in feed order; entries without id, version, title or date are skipped.

    ``context`` names the request in error messages (an id, or ``the search``).

    Raises:
        ArxivLookupError: the body is not a plain Atom feed, is malformed, or is arXiv's error entry.
    """
    parsed = _parse(body, context)
    prefix = _arxiv_prefix(parsed)
    records: list[ArxivRecord] = []
    for entry in parsed.get("entries", []):
        entry_id = _text(entry.get("id"))
        if "/api/errors" in entry_id:
            reason = _text(entry.get("summary")) or "error"
            raise ArxivLookupError(f"arXiv rejected {context}: {reason}", "check the id")
        record = _record(entry, entry_id, prefix)
        if record is not None:
            records.append(record)
    return records


def plain_xml(body: bytes) -> bytes | None:
    """``body`` when it is UTF-8 XML without another declared encoding, a DOCTYPE, an ENTITY or a NUL, else None.

    The checks run on decoded text (UTF-16 would hide its declarations from a byte search), and a body
    that is not UTF-8 is refused outright: arXiv answers UTF-8, and nothing else is what lvlmkb asked for.
    """
    if len(body) > MAX_FEED_BYTES:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    declared = _XML_ENCODING.match(text.lstrip("\ufeff"))
    if declared is not None and declared.group(1).strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
        return None
    return None if "\0" in text or _DECLARATION.search(text) else body


def _parse(body: bytes, context: str) -> Any:
    import feedparser

    plain = plain_xml(body)
    if plain is None:
        raise ArxivLookupError(f"arXiv's answer for {context} is not a plain Atom feed", OFFLINE_HINT)
    try:
        parsed = feedparser.parse(io.BytesIO(plain), resolve_relative_uris=False, sanitize_html=True)
    except Exception as err:  # a third-party parser over hostile input: any failure means a malformed feed
        raise ArxivLookupError(f"arXiv's answer for {context} is malformed XML ({err})", OFFLINE_HINT) from None
    if parsed.get("bozo"):
        problem = " ".join(str(parsed.get("bozo_exception", "not well-formed")).split())
        raise ArxivLookupError(f"arXiv's answer for {context} is malformed XML ({problem})", OFFLINE_HINT)
    if parsed.get("version") != "atom10":
        raise ArxivLookupError(f"arXiv's answer for {context} is not an Atom feed", OFFLINE_HINT)
    return parsed


def _arxiv_prefix(parsed: Any) -> str:
    """The prefix the feed binds to arXiv's namespace (``feedparser`` keys extension elements by it)."""
    namespaces = parsed.get("namespaces") or {}
    return next((p for p, uri in namespaces.items() if str(uri).rstrip("/") == ARXIV_NS_URI and p), "arxiv")


def _record(entry: Any, entry_id: str, prefix: str) -> ArxivRecord | None:
    match = _ENTRY_ID.search(entry_id)
    title, published = _text(entry.get("title")), _text(entry.get("published"))
    if match is None or match.group("version") is None or not title or not _DATE.match(published):
        return None
    comment, abstract = _text(entry.get(f"{prefix}_comment")), _text(entry.get("summary"))
    authors = [_text(a.get("name")) for a in entry.get("authors") or [] if hasattr(a, "get")]
    updated = _text(entry.get("updated"))
    found = match.group("id")
    withdrawn = bool(_WITHDRAWN.search(comment)) or abstract.lower().startswith("this paper has been withdrawn")
    return ArxivRecord(
        arxiv_id=found if "/" in found else found.lower(),
        title=title,
        authors=[a for a in authors if a],
        published=published[:10],
        abstract=abstract,
        comment=comment,
        journal_ref=_text(entry.get(f"{prefix}_journal_ref")),
        code_links=list(dict.fromkeys(m.rstrip(".") for m in _CODE_LINK.findall(f"{abstract} {comment}"))),
        version=int(match.group("version")),
        updated=updated[:10] if _DATE.match(updated) else "",
        withdrawn=withdrawn,
    )


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""
