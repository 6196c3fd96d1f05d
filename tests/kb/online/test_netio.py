"""The shared HTTP layer: retries with doubling backoff, Retry-After (seconds and HTTP dates), host rate limits."""

from __future__ import annotations

import email.utils
import itertools

import httpx
import pytest

from lvlmkb.netio import RateLimiter, RetryPolicy, ServiceAnswerError, ServiceUnavailableError, json_body
from tests.kb.online.support import FakeNet


def test_the_backoff_doubles() -> None:
    assert [RetryPolicy(backoff_s=0.5).backoff(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]


def test_a_retry_after_date_is_waited_out() -> None:
    net = FakeNet()
    when = email.utils.formatdate(net.clock.now + 30, usegmt=True)
    net.queue("dblp.org", httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200, json={}))
    assert net.http().get_json("DBLP", "https://dblp.org/x") == (200, {})
    assert net.clock.sleeps == [30.0]


def test_a_retry_after_over_the_limit_is_not_waited() -> None:
    net = FakeNet()
    net.queue("dblp.org", httpx.Response(429, headers={"Retry-After": "121"}))
    with pytest.raises(ServiceUnavailableError, match="DBLP asks to wait 121 s"):
        net.http().request("DBLP", "https://dblp.org/x")
    assert net.clock.sleeps == [] and len(net.seen) == 1


def test_requests_to_one_host_are_spaced_but_other_hosts_are_not() -> None:
    net = FakeNet()
    http = net.http()
    for _ in range(3):
        http.request("arXiv", "https://export.arxiv.org/api/query", {"id_list": "2403.01234"})
    http.request("DBLP", "https://dblp.org/search/publ/api", {"q": "x"})
    times = net.times("export.arxiv.org")
    assert [b - a for a, b in itertools.pairwise(times)] == [3.0, 3.0]
    assert net.times("dblp.org") == [times[-1]]


def test_the_limiter_counts_from_the_last_start() -> None:
    waits: list[float] = []
    limiter, now = RateLimiter(3.0), [100.0]
    limiter.wait(lambda: now[0], waits.append)
    now[0] = 101.0
    limiter.wait(lambda: now[0], waits.append)
    assert waits == [2.0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"{'a': 1}", "not JSON"),
        (b"[1, 2", "not JSON"),
        (b" " + b"1" * 2_000_001, "too large"),
    ],
)
def test_unusable_json_bodies_are_answer_errors(body: bytes, message: str) -> None:
    with pytest.raises(ServiceAnswerError, match=message):
        json_body(body, "OpenAlex")


def test_an_empty_body_is_none() -> None:
    assert json_body(b"  \n", "OpenAlex") is None
