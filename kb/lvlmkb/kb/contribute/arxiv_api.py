"""Paper metadata from the arXiv API, with timeouts, retries and backoff.

Requests go through :class:`lvlmkb.netio.Http`; the Atom answers are parsed by
:mod:`lvlmkb.kb.contribute.arxiv_feed` (``feedparser`` behind lvlmkb's hardening checks). ``httpx`` and
``feedparser`` are imported when a request is made, so the CLI starts without them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lvlmkb.errors import UsageError
from lvlmkb.kb.contribute.arxiv_feed import (
    MAX_FEED_BYTES,
    OFFLINE_HINT,
    ArxivLookupError,
    ArxivRecord,
    ArxivUnavailableError,
    parse_entries,
    parse_feed,
)
from lvlmkb.netio import RETRY_STATUSES, Http, RetryPolicy
from lvlmkb.netio import new_client as _new_http_client

if TYPE_CHECKING:
    import httpx

API_URL = "https://export.arxiv.org/api/query"
NEW_STYLE = r"\d{4}\.\d{4,5}"
OLD_STYLE = r"[a-z-]+(?:\.[A-Z]{2})?/\d{7}"
_REF = re.compile(
    rf"^(?:arxiv:\s*|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)?({NEW_STYLE}|{OLD_STYLE})(?:v\d+)?(?:\.pdf)?/?$",
    re.IGNORECASE,
)
_VERSIONED = re.compile(r"(?P<id>.+?)(?:v(?P<version>\d{1,3}))?")
BACKOFF_S = 3.0
"""Wait before the first retry, doubling after; arXiv asks for one request every three seconds."""

__all__ = [
    "API_URL",
    "MAX_FEED_BYTES",
    "NEW_STYLE",
    "OFFLINE_HINT",
    "OLD_STYLE",
    "RETRY_STATUSES",
    "ArxivLookupError",
    "ArxivRecord",
    "ArxivUnavailableError",
    "fetch_arxiv",
    "new_client",
    "parse_arxiv_ref",
    "parse_entries",
    "parse_feed",
]


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


def new_client() -> httpx.Client:
    """An HTTP client with connect and read timeouts (tests replace this with a mock transport)."""
    return _new_http_client()


def fetch_arxiv(
    arxiv_id: str,
    client: httpx.Client | None = None,
    attempts: int = 3,
    backoff_s: float | None = None,
    sleep: Callable[[float], None] | None = None,
) -> ArxivRecord:
    """Fetch and parse the latest version of ``arxiv_id``; retry timeouts, connection errors, 429 and 5xx.

    Raises:
        ArxivUnavailableError: arXiv could not be reached after ``attempts`` tries.
        ArxivLookupError: the answer holds no usable paper.
    """
    own = client is None
    http = Http(
        client or new_client(),
        sleep=sleep or time.sleep,
        policy=RetryPolicy(attempts, BACKOFF_S if backoff_s is None else backoff_s),
        intervals={},  # one lookup: the backoff alone spaces the retries
    )
    try:
        body = query_arxiv(http, {"id_list": arxiv_id, "max_results": "1"}, arxiv_id)
    finally:
        if own:
            http.client.close()
    return parse_feed(body, arxiv_id)


def query_arxiv(http: Http, params: dict[str, str], context: str) -> bytes:
    """The body of one API answer (``id_list`` or ``search_query``).

    Raises:
        ArxivUnavailableError: unreachable, or an HTTP status other than 200.
    """
    response = http.request("arXiv", API_URL, params, error=ArxivUnavailableError, hint=OFFLINE_HINT)
    if response.status_code != 200:
        raise ArxivUnavailableError(f"arXiv answered HTTP {response.status_code} for {context}", OFFLINE_HINT)
    return response.content


def fetch_versions(http: Http, refs: list[str], batch: int = 50) -> dict[str, ArxivRecord]:
    """Records for many ids at once (``2311.05608`` for the latest version, ``2311.05608v2`` for that one).

    The answer maps each requested ref to its record; a ref arXiv does not answer is left out.

    Raises:
        ArxivUnavailableError, ArxivLookupError: a batch could not be fetched or parsed.
    """
    found: dict[str, ArxivRecord] = {}
    for start in range(0, len(refs), batch):
        chunk = refs[start : start + batch]
        params = {"id_list": ",".join(chunk), "max_results": str(len(chunk))}
        records = parse_entries(query_arxiv(http, params, ", ".join(chunk)), ", ".join(chunk))
        for ref in chunk:
            match = next((r for r in records if _answers(r, ref)), None)
            if match is not None:
                found[ref] = match
    return found


def _answers(record: ArxivRecord, ref: str) -> bool:
    match = _VERSIONED.fullmatch(ref)
    if match is None:
        return False
    version = match.group("version")
    same = record.arxiv_id.lower() == match.group("id").lower()
    return same and (version is None or record.version == int(version))
