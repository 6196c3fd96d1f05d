"""Paper metadata from the arXiv API (Atom feed), with timeouts, retries and backoff.

The feed format is arXiv's documented API response: an Atom ``feed`` with one ``entry`` per id,
``arxiv:comment`` / ``arxiv:journal_ref`` extensions, and an ``entry`` titled ``Error`` for a
malformed id. ``httpx`` is imported when a request is made, so the CLI starts without it.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lvlmkb.errors import LvlmkbError, UsageError

if TYPE_CHECKING:
    import httpx

API_URL = "https://export.arxiv.org/api/query"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV_NS = "{http://arxiv.org/schemas/atom}"
NEW_STYLE = r"\d{4}\.\d{4,5}"
OLD_STYLE = r"[a-z-]+(?:\.[A-Z]{2})?/\d{7}"
_REF = re.compile(
    rf"^(?:arxiv:\s*|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)?({NEW_STYLE}|{OLD_STYLE})(?:v\d+)?(?:\.pdf)?/?$",
    re.IGNORECASE,
)
_CODE_LINK = re.compile(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/[\w.-]+/[\w.-]+")
_DECLARATION = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_S = 1.0
MAX_FEED_BYTES = 2_000_000


class ArxivUnavailableError(LvlmkbError):
    """arXiv could not be reached or did not answer usefully."""


class ArxivLookupError(LvlmkbError):
    """arXiv answered, but not with a usable paper (unknown id, withdrawn, malformed feed)."""


OFFLINE_HINT = "add it offline with --offline --title ... --authors ... --year ..."


@dataclass(frozen=True)
class ArxivRecord:
    """The metadata lvlmkb takes from one arXiv entry."""

    arxiv_id: str
    title: str
    authors: list[str]
    published: str
    abstract: str = ""
    comment: str = ""
    journal_ref: str = ""
    code_links: list[str] = field(default_factory=list)

    @property
    def year(self) -> int:
        """Year of the first version."""
        return int(self.published[:4])

    @property
    def url(self) -> str:
        """The abstract page."""
        return f"https://arxiv.org/abs/{self.arxiv_id}"


def parse_arxiv_ref(text: str) -> str:
    """Return the bare arXiv id of ``text`` (an id, ``arXiv:id``, or an abs/pdf URL; version dropped).

    Raises:
        UsageError: when ``text`` is none of these.
    """
    match = _REF.match(text.strip())
    if match is None:
        raise UsageError(
            f"{text!r} is not an arXiv id or arXiv URL",
            "pass e.g. 2311.05608 or https://arxiv.org/abs/2311.05608; without an id, use --offline --title ...",
        )
    found = match.group(1)
    return found if "/" in found else found.lower()


def fetch_arxiv(
    arxiv_id: str,
    client: httpx.Client | None = None,
    attempts: int = 3,
    backoff_s: float | None = None,
    sleep: Callable[[float], None] | None = None,
) -> ArxivRecord:
    """Fetch and parse the entry of ``arxiv_id``; retry timeouts, connection errors, 429 and 5xx.

    Raises:
        ArxivUnavailableError: arXiv could not be reached after ``attempts`` tries.
        ArxivLookupError: the answer holds no usable paper.
    """
    own = client is None
    http = client or new_client()
    wait = BACKOFF_S if backoff_s is None else backoff_s
    try:
        body = _get_with_retries(http, arxiv_id, attempts, wait, sleep or time.sleep)
    finally:
        if own:
            http.close()
    return parse_feed(body, arxiv_id)


def new_client() -> httpx.Client:
    """An HTTP client with connect and read timeouts (tests replace this with a mock transport)."""
    import httpx

    return httpx.Client(timeout=httpx.Timeout(15.0, connect=10.0), follow_redirects=True)


def _get_with_retries(
    http: httpx.Client, arxiv_id: str, attempts: int, backoff_s: float, sleep: Callable[[float], None]
) -> bytes:
    import httpx

    last = ""
    for attempt in range(attempts):
        if attempt:
            sleep(backoff_s * 2 ** (attempt - 1))
        try:
            response = http.get(API_URL, params={"id_list": arxiv_id, "max_results": "1"})
        except httpx.TimeoutException:
            last = "timed out"
            continue
        except httpx.TransportError as err:
            last = f"connection failed: {type(err).__name__}"
            continue
        if response.status_code in RETRY_STATUSES:
            last = f"HTTP {response.status_code}"
            continue
        if response.status_code != 200:
            raise ArxivUnavailableError(f"arXiv answered HTTP {response.status_code} for {arxiv_id}", OFFLINE_HINT)
        return response.content
    raise ArxivUnavailableError(f"could not reach arXiv ({last}, {attempts} attempts)", OFFLINE_HINT)


def parse_feed(body: bytes, arxiv_id: str) -> ArxivRecord:
    """Parse an API response into a record for ``arxiv_id``.

    Raises:
        ArxivLookupError: malformed XML, an error entry, no entry, or a withdrawn paper.
    """
    entry = _single_entry(body, arxiv_id)
    text = _texts(entry)
    comment = text("comment", ARXIV_NS)
    abstract = text("summary")
    if re.search(r"\bwithdrawn\b", comment, re.IGNORECASE) or abstract.lower().startswith(
        "this paper has been withdrawn"
    ):
        raise ArxivLookupError(
            f"arXiv {arxiv_id} is withdrawn ({comment or abstract[:80]})",
            "withdrawn papers are not added; if it was republished, use the new id",
        )
    authors = [" ".join((a.findtext(f"{ATOM}name") or "").split()) for a in entry.findall(f"{ATOM}author")]
    published = text("published")
    if not re.match(r"^\d{4}-\d{2}-\d{2}", published):
        raise ArxivLookupError(f"arXiv's entry for {arxiv_id} has no publication date", OFFLINE_HINT)
    links = list(dict.fromkeys(m.rstrip(".") for m in _CODE_LINK.findall(f"{abstract} {comment}")))
    return ArxivRecord(
        arxiv_id=arxiv_id,
        title=text("title"),
        authors=[a for a in authors if a],
        published=published[:10],
        abstract=abstract,
        comment=comment,
        journal_ref=text("journal_ref", ARXIV_NS),
        code_links=links,
    )


def _plain_xml(body: bytes) -> str | None:
    """The feed as text, or None unless it is UTF-8 without a DOCTYPE, an ENTITY declaration or a NUL.

    The checks run on decoded text, and the text (not the bytes) is parsed, so a body in another
    encoding (UTF-16 declares its entities in bytes that a byte search does not see) cannot slip past.
    """
    if len(body) > MAX_FEED_BYTES:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\0" in text or _DECLARATION.search(text) else text


def _single_entry(body: bytes, arxiv_id: str) -> ET.Element:
    text = _plain_xml(body)
    if text is None:
        raise ArxivLookupError(f"arXiv's answer for {arxiv_id} is not a plain Atom feed", OFFLINE_HINT)
    try:
        # Safe here: text with a DOCTYPE or ENTITY declaration was refused above, so no entity expands.
        root = ET.fromstring(text)  # noqa: S314
    except (ET.ParseError, LookupError, ValueError) as err:  # an unknown or unsupported declared encoding
        raise ArxivLookupError(f"arXiv's answer for {arxiv_id} is malformed XML ({err})", OFFLINE_HINT) from None
    if root.tag != f"{ATOM}feed":
        raise ArxivLookupError(f"arXiv's answer for {arxiv_id} is not an Atom feed", OFFLINE_HINT)
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id") or ""
        if "/api/errors" in entry_id:
            reason = " ".join((entry.findtext(f"{ATOM}summary") or "error").split())
            raise ArxivLookupError(f"arXiv rejected {arxiv_id}: {reason}", "check the id")
        if _entry_matches(entry_id, arxiv_id) and (entry.findtext(f"{ATOM}title") or "").strip():
            return entry
    raise ArxivLookupError(f"arXiv has no paper {arxiv_id}", "check the id, or add it with --offline")


def _entry_matches(entry_id: str, arxiv_id: str) -> bool:
    found = re.sub(r"v\d+$", "", entry_id.rsplit("/abs/", 1)[-1])
    return found.lower() == arxiv_id.lower()


def _texts(entry: ET.Element) -> Callable[..., str]:
    def text(tag: str, namespace: str = ATOM) -> str:
        return " ".join((entry.findtext(f"{namespace}{tag}") or "").split())

    return text
