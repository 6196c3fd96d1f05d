"""The arXiv client: id parsing, retries and the Atom responses of tests/data/arxiv (HTTP mocked)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from lvlmkb.errors import UsageError
from lvlmkb.kb.contribute.arxiv_api import (
    ArxivLookupError,
    ArxivUnavailableError,
    fetch_arxiv,
    fetch_versions,
    parse_arxiv_ref,
    parse_entries,
    parse_feed,
)
from lvlmkb.netio import Http
from tests.conftest import DATA

FEEDS = DATA / "arxiv"
Handler = Callable[[httpx.Request], httpx.Response]


def feed(name: str) -> bytes:
    """The bytes of one fixture response."""
    return (FEEDS / name).read_bytes()


def client_for(*answers: httpx.Response | Exception) -> tuple[httpx.Client, list[httpx.Request]]:
    """A client whose transport gives ``answers`` in turn and records the requests."""
    seen: list[httpx.Request] = []
    queue: Iterator[httpx.Response | Exception] = iter(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = next(queue)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.Client(transport=httpx.MockTransport(handle)), seen


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2311.05608", "2311.05608"),
        ("2311.05608v3", "2311.05608"),
        ("arXiv:2311.05608", "2311.05608"),
        ("https://arxiv.org/abs/2311.05608v2", "2311.05608"),
        ("https://arxiv.org/pdf/2311.05608.pdf", "2311.05608"),
        ("http://export.arxiv.org/abs/2501.91234", "2501.91234"),
        ("  2401.12345  ", "2401.12345"),
        ("cs/0112017", "cs/0112017"),
    ],
)
def test_arxiv_references_are_parsed(text: str, expected: str) -> None:
    assert parse_arxiv_ref(text) == expected


@pytest.mark.parametrize(
    "text", ["", "figstep", "2311.056", "https://example.org/abs/2311.05608", "2311.05608; rm -rf /", "javascript:1"]
)
def test_bad_references_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="not an arXiv id"):
        parse_arxiv_ref(text)


def test_success_reads_every_field() -> None:
    client, seen = client_for(httpx.Response(200, content=feed("ok.xml")))
    record = fetch_arxiv("2501.91234", client=client, sleep=lambda s: None)
    assert record.title == "Shadow Letters: Typographic Jailbreaks of Vision-Language Models"
    assert record.authors == ["Ada Example", "Ren Sample"]
    assert (record.published, record.year) == ("2025-01-17", 2025)
    assert record.code_links == ["https://github.com/example-lab/shadow-letters"]
    assert record.journal_ref == "Proceedings of an Example Workshop 2025"
    assert record.url == "https://arxiv.org/abs/2501.91234"
    assert (record.version, record.ref, record.updated) == (2, "2501.91234v2", "2025-02-03")
    assert record.comment == "12 pages; code at https://github.com/example-lab/shadow-letters"
    assert len(seen) == 1 and seen[0].url.params["id_list"] == "2501.91234"


def test_timeouts_are_retried_with_backoff_then_reported() -> None:
    waits: list[float] = []
    timeout = httpx.ReadTimeout("slow")
    client, seen = client_for(timeout, timeout, timeout)
    with pytest.raises(ArxivUnavailableError, match=r"could not reach arXiv \(timed out, 3 attempts\)") as err:
        fetch_arxiv("2501.91234", client=client, backoff_s=0.5, sleep=waits.append)
    assert len(seen) == 3 and waits == [0.5, 1.0]
    assert "--offline" in err.value.hint


def test_a_5xx_is_retried_and_a_later_success_is_used() -> None:
    client, seen = client_for(
        httpx.Response(503), httpx.ConnectError("reset"), httpx.Response(200, content=feed("ok.xml"))
    )
    record = fetch_arxiv("2501.91234", client=client, sleep=lambda s: None)
    assert record.authors[0] == "Ada Example" and len(seen) == 3


def test_persistent_5xx_names_the_status() -> None:
    client, _ = client_for(*(httpx.Response(502) for _ in range(3)))
    with pytest.raises(ArxivUnavailableError, match="HTTP 502"):
        fetch_arxiv("2501.91234", client=client, sleep=lambda s: None)


def test_a_4xx_is_not_retried() -> None:
    client, seen = client_for(httpx.Response(400))
    with pytest.raises(ArxivUnavailableError, match="HTTP 400"):
        fetch_arxiv("2501.91234", client=client, sleep=lambda s: None)
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("name", "arxiv_id", "message"),
    [
        ("malformed.xml", "2501.91234", "malformed XML"),
        ("unknown.xml", "2501.99999", "arXiv has no paper 2501.99999"),
        ("error.xml", "2501.9123", "incorrect id format for 2501.9123"),
        ("withdrawn.xml", "2501.95555", "withdrawn"),
        ("ok.xml", "2501.90000", "arXiv has no paper 2501.90000"),
    ],
)
def test_unusable_answers_are_lookup_errors(name: str, arxiv_id: str, message: str) -> None:
    with pytest.raises(ArxivLookupError, match=message):
        parse_feed(feed(name), arxiv_id)


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaa">]><feed xmlns="http://www.w3.org/2005/Atom">&a;</feed>',
        b"<html><body>Service unavailable</body></html>",
        b"",
        b"\xff\xfe not xml",
    ],
)
def test_hostile_or_foreign_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(ArxivLookupError):
        parse_feed(body, "2501.91234")


def test_another_prefix_for_the_arxiv_namespace_is_read_too() -> None:
    body = feed("ok.xml").replace(b"arxiv:", b"ax:").replace(b"xmlns:arxiv=", b"xmlns:ax=")
    record = parse_feed(body, "2501.91234")
    assert record.journal_ref == "Proceedings of an Example Workshop 2025" and record.comment.startswith("12 pages")


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "no-such-codec", "UTF-16"])
def test_a_utf8_body_declaring_another_encoding_is_refused(encoding: str) -> None:
    with pytest.raises(ArxivLookupError, match="not a plain Atom feed"):
        parse_feed(feed("ok.xml").replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode()), "2501.91234")


def test_a_search_feed_gives_every_usable_entry_with_withdrawn_ones_marked() -> None:
    records = parse_entries((DATA / "online" / "arxiv_search.xml").read_bytes(), "the search")
    assert len(records) == 7 and records[0].ref == "2611.90001v1"
    assert [r.arxiv_id for r in records if r.withdrawn] == ["2611.90004"]
    assert records[5].journal_ref == "Proceedings of an Example Workshop 2026" and records[5].version == 2


def test_versions_are_fetched_in_one_batch_and_matched_by_version() -> None:
    other = (DATA / "online" / "arxiv_2403.01234v2.xml").read_bytes()
    entry = other[other.index(b"<entry>") : other.index(b"</entry>") + len(b"</entry>")]
    two = feed("ok.xml").replace(b"</feed>", entry + b"</feed>")
    client, seen = client_for(httpx.Response(200, content=two))
    found = fetch_versions(Http(client, sleep=lambda s: None), ["2501.91234", "2403.01234v2", "2403.01234v3"])
    assert seen[0].url.params["id_list"] == "2501.91234,2403.01234v2,2403.01234v3"
    assert found["2501.91234"].version == 2 and found["2403.01234v2"].title == "An Example Typographic Attack"
    assert "2403.01234v3" not in found
