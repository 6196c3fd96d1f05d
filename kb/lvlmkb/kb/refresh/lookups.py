"""What the online services say about an entry: DBLP venues, citation counts, and code links.

Each lookup returns a finding or None ("the service does not know this paper"); an unreachable
service or an unusable answer raises :class:`~lvlmkb.netio.ServiceUnavailableError` or
:class:`~lvlmkb.netio.ServiceAnswerError`, which makes ``refresh`` stop before writing anything.
Citation counts come from Semantic Scholar's Graph API (one batch request for the arXiv papers), with
OpenAlex as the fallback for any paper Semantic Scholar cannot answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from lvlmkb.kb.checks import normalised_title
from lvlmkb.kb.schema import Paper
from lvlmkb.kb.venues import is_canonical, normalise_venue
from lvlmkb.netio import Http, ServiceAnswerError, ServiceUnavailableError

DBLP_URL = "https://dblp.org/search/publ/api"
S2_URL = "https://api.semanticscholar.org/graph/v1/paper"
OPENALEX_URL = "https://api.openalex.org/works"
S2_BATCH = 500
DBLP_NAMES = {
    "acm multimedia": "MM",
    "usenix security symposium": "USENIX Security",
    "usenix security": "USENIX Security",
    "sp": "S&P",
    "ieee s&p": "S&P",
    "neurips": "NeurIPS",
    "nips": "NeurIPS",
}
_VOLUME = re.compile(r"\s*\((?:\d+|[IVX]+)\)$")
_QUALIFIER = re.compile(r"^(?P<name>.+?)\s*\((?P<qual>Findings|Workshops?)\)$|^(?P<name2>.+?)\s+(?P<qual2>Workshops?)$")
_SHAPE_HINT = "the service may have changed its API; run it again later, or report it"


@dataclass(frozen=True)
class VenueHit:
    """A DBLP record of the paper at a venue (informal CoRR records are never hits)."""

    venue: str
    """The KB's spelling (``CVPR'25``) when ``canonical``, else DBLP's own venue text."""
    canonical: bool
    year: int
    ref: str
    """The DBLP record's page."""


@dataclass(frozen=True)
class CitationCount:
    """A count and the service that gave it."""

    count: int
    source: Literal["semantic-scholar", "openalex"]


@dataclass(frozen=True)
class LinkStatus:
    """What the code link's host answered."""

    status: Literal["ok", "moved", "missing", "unknown"]
    http_status: int
    location: str | None = None


def dblp_venue(http: Http, title: str) -> VenueHit | None:
    """The first DBLP publication with the same normalised title that is not an informal (CoRR) record."""
    status, data = http.get_json("DBLP", DBLP_URL, {"q": title, "format": "json", "h": "10"})
    if status != 200:
        raise ServiceUnavailableError(f"DBLP answered HTTP {status}", "run it again later")
    found = _at(data, "DBLP", "result", "hits")
    hits = found.get("hit", []) if isinstance(found, dict) else None
    if not isinstance(hits, (list, dict)):
        raise ServiceAnswerError("DBLP's answer has no list of hits", _SHAPE_HINT)
    wanted = normalised_title(title)
    for hit in hits if isinstance(hits, list) else [hits]:
        info = _at(hit, "DBLP", "info")
        if not isinstance(info, dict):
            raise ServiceAnswerError("DBLP's answer has a hit without info", _SHAPE_HINT)
        venue, year, kind = str(info.get("venue", "")), str(info.get("year", "")), str(info.get("type", ""))
        if normalised_title(str(info.get("title", ""))) != wanted or not year.isdigit():
            continue
        if venue in ("", "CoRR") or kind.lower().startswith("informal"):
            continue
        canonical = dblp_to_venue(venue, int(year))
        ref = str(info.get("url") or f"https://dblp.org/rec/{info.get('key', '')}")
        return VenueHit(canonical or venue, canonical is not None, int(year), ref)
    return None


def dblp_to_venue(venue: str, year: int) -> str | None:
    """DBLP's venue text in the KB's spelling (``ACL (Findings)``, 2024 -> ``ACL'24 Findings``), or None."""
    text = _VOLUME.sub("", " ".join(venue.split()))
    qualifier = ""
    match = _QUALIFIER.match(text)
    if match is not None:
        text = match.group("name") or match.group("name2")
        found = match.group("qual") or match.group("qual2")
        qualifier = "Workshop" if found.startswith("Workshop") else found
    name = DBLP_NAMES.get(text.lower(), text)
    spelled = normalise_venue(f"{name}'{year % 100:02d}" + (f" {qualifier}" if qualifier else ""))
    return spelled if is_canonical(spelled) and len(name) <= 20 else None


def citation_counts(http: Http, papers: list[Paper]) -> tuple[dict[str, CitationCount], list[str]]:
    """Counts by paper id, and notes on fallbacks; a paper neither service knows is left out.

    Semantic Scholar is asked first (one batch request per 500 arXiv papers, a title match for the
    others); once it fails, it is not asked again in this run, and OpenAlex answers for the rest.

    Raises:
        ServiceUnavailableError, ServiceAnswerError: OpenAlex failed for a paper Semantic Scholar did not answer.
    """
    counts: dict[str, int] = {}
    notes: list[str] = []
    try:
        _s2_batch(http, [p for p in papers if p.arxiv], counts)
        for paper in (p for p in papers if not p.arxiv):
            if (count := _s2_match(http, paper)) is not None:
                counts[paper.id] = count
    except (ServiceUnavailableError, ServiceAnswerError) as err:
        notes.append(f"Semantic Scholar: {err.message}; OpenAlex answers for the rest")
    found = {paper_id: CitationCount(count, "semantic-scholar") for paper_id, count in counts.items()}
    for paper in papers:
        if paper.id not in found and (count := _openalex_count(http, paper)) is not None:
            found[paper.id] = CitationCount(count, "openalex")
    return found, notes


def _s2_batch(http: Http, papers: list[Paper], counts: dict[str, int]) -> None:
    for start in range(0, len(papers), S2_BATCH):
        chunk = papers[start : start + S2_BATCH]
        body = {"ids": [f"arXiv:{p.arxiv}" for p in chunk]}
        status, data = http.get_json("Semantic Scholar", f"{S2_URL}/batch", {"fields": "title,citationCount"}, body)
        if status != 200 or not isinstance(data, list) or len(data) != len(chunk):
            raise ServiceAnswerError(f"Semantic Scholar's batch answer is unusable (HTTP {status})", _SHAPE_HINT)
        for paper, row in zip(chunk, data, strict=True):
            if isinstance(row, dict) and (count := _count(row.get("citationCount"))) is not None:
                counts[paper.id] = count


def _s2_match(http: Http, paper: Paper) -> int | None:
    params = {"query": paper.title, "fields": "title,citationCount"}
    status, data = http.get_json("Semantic Scholar", f"{S2_URL}/search/match", params)
    if status == 404:
        return None
    rows = _at(data, "Semantic Scholar", "data") if status == 200 else None
    if not isinstance(rows, list):
        raise ServiceAnswerError(f"Semantic Scholar's answer is unusable (HTTP {status})", _SHAPE_HINT)
    row = next((r for r in rows if _same_title(r, "title", paper.title)), None)
    return _count(row.get("citationCount")) if row is not None else None


def _openalex_count(http: Http, paper: Paper) -> int | None:
    if paper.arxiv:
        status, data = http.get_json("OpenAlex", f"{OPENALEX_URL}/doi:10.48550/arXiv.{paper.arxiv}")
        if status == 404:
            return None
        if status != 200 or not isinstance(data, dict):
            raise ServiceAnswerError(f"OpenAlex's answer is unusable (HTTP {status})", _SHAPE_HINT)
        return _count(data.get("cited_by_count"))
    status, data = http.get_json("OpenAlex", OPENALEX_URL, {"search": paper.title, "per-page": "5"})
    rows = _at(data, "OpenAlex", "results") if status == 200 else None
    if not isinstance(rows, list):
        raise ServiceAnswerError(f"OpenAlex's answer is unusable (HTTP {status})", _SHAPE_HINT)
    row = next((r for r in rows if _same_title(r, "display_name", paper.title)), None)
    return _count(row.get("cited_by_count")) if row is not None else None


def code_link(http: Http, url: str) -> LinkStatus:
    """HEAD the code link (GET when HEAD is refused), without following redirects."""
    response = http.request("the code host", url, method="HEAD", follow_redirects=False)
    if response.status_code in (403, 405, 501):
        response = http.request("the code host", url, follow_redirects=False)
    status = response.status_code
    if 200 <= status < 300:
        return LinkStatus("ok", status)
    if status in (301, 302, 307, 308):
        location = urljoin(url, response.headers.get("location", ""))
        if _same_link(location, url):
            return LinkStatus("ok", status)
        return LinkStatus("moved", status, location)
    if status in (404, 410):
        return LinkStatus("missing", status)
    return LinkStatus("unknown", status)


def _same_link(a: str, b: str) -> bool:
    def key(url: str) -> tuple[str, str]:
        parts = urlsplit(url)
        return (parts.netloc.lower().removeprefix("www."), parts.path.rstrip("/").lower())

    return key(a) == key(b)


def _same_title(row: Any, key: str, title: str) -> bool:
    return isinstance(row, dict) and normalised_title(str(row.get(key, ""))) == normalised_title(title)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _at(data: Any, service: str, *keys: str) -> Any:
    """``data[k1][k2]...`` through mappings; raise :class:`ServiceAnswerError` when the shape differs."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            raise ServiceAnswerError(f"{service}'s answer lacks '{key}'", _SHAPE_HINT)
        data = data[key]
    return data
