"""HTTP for the online commands: timeouts, retries with backoff, ``Retry-After`` and per-host rate limits.

Every online lookup (``add-paper``, ``refresh``, ``discover``) goes through :class:`Http`. The clock and
the sleep are injected, so tests run instantly and can assert the waits. ``httpx`` is imported when a
client is made, so the CLI starts without it.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lvlmkb.errors import LvlmkbError

if TYPE_CHECKING:
    import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY_BYTES = 2_000_000
USER_AGENT = "lvlmkb (https://github.com/lvlmkb/lvlmkb; knowledge-base maintenance)"

HOST_INTERVALS_S: dict[str, float] = {
    "export.arxiv.org": 3.0,  # arXiv API terms: at most one request every three seconds
    "api.semanticscholar.org": 1.1,  # unauthenticated: about one request per second (shared pool)
    "dblp.org": 1.0,
    "api.openalex.org": 0.2,
    "github.com": 1.0,
}
"""The least time between two requests to one host; the online commands respect these."""


class ServiceUnavailableError(LvlmkbError):
    """A service could not be reached, or kept answering 429/5xx, after every retry."""


class ServiceAnswerError(LvlmkbError):
    """A service answered, but not with something usable (too large, not UTF-8, not JSON)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try and how long to wait between tries."""

    attempts: int = 3
    backoff_s: float = 1.0
    max_retry_after_s: float = 120.0
    """A ``Retry-After`` longer than this is not waited out: the lookup fails instead."""

    def backoff(self, attempt: int) -> float:
        """The wait before try number ``attempt`` (1 = the first retry): doubling from ``backoff_s``."""
        return self.backoff_s * 2.0 ** (attempt - 1)


@dataclass
class RateLimiter:
    """Keeps at least ``interval_s`` between the starts of two requests to one host."""

    interval_s: float
    last: float | None = None

    def wait(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        """Sleep until the next request is allowed, then note its start."""
        now = clock()
        if self.last is not None and now - self.last < self.interval_s:
            sleep(self.interval_s - (now - self.last))
            now = clock()
        self.last = now


def new_client(timeout_s: float = 15.0, connect_s: float = 10.0, follow_redirects: bool = True) -> httpx.Client:
    """An HTTP client with connect and read timeouts (tests pass one with a mock transport instead)."""
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(timeout_s, connect=connect_s),
        follow_redirects=follow_redirects,
        headers={"User-Agent": USER_AGENT},
    )


@dataclass
class Http:
    """One client shared by the lookups of a command, with retries and per-host rate limits.

    ``clock`` gives wall-clock seconds (``Retry-After`` may be an HTTP date); ``sleep`` waits. With
    ``intervals`` empty, no rate limit applies (a single lookup such as ``add-paper``'s).
    """

    client: httpx.Client
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    intervals: Mapping[str, float] = field(default_factory=lambda: dict(HOST_INTERVALS_S))
    limiters: dict[str, RateLimiter] = field(default_factory=dict)

    def request(
        self,
        service: str,
        url: str,
        params: Mapping[str, str] | None = None,
        method: str = "GET",
        error: type[ServiceUnavailableError] = ServiceUnavailableError,
        hint: str = "check the network connection and run it again later",
        json_data: Any = None,
        follow_redirects: bool = True,
    ) -> httpx.Response:
        """Send the request; retry timeouts, connection errors, 429 and 5xx; return any other answer.

        ``json_data`` is sent as a JSON body; with ``follow_redirects`` off, a 3xx is returned as it is.

        Raises:
            ServiceUnavailableError (or ``error``): every attempt failed, or a ``Retry-After`` was too long.
        """
        import httpx

        last, asked = "", 0.0
        for attempt in range(self.policy.attempts):
            if attempt:
                self.sleep(max(self.policy.backoff(attempt), asked))
                asked = 0.0
            self._limit(url)
            try:
                response = self.client.request(
                    method, url, params=params, json=json_data, follow_redirects=follow_redirects
                )
            except httpx.TimeoutException:
                last = "timed out"
                continue
            except httpx.TransportError as err:
                last = f"connection failed: {type(err).__name__}"
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            last = f"HTTP {response.status_code}"
            asked = self._retry_after(response) or 0.0
            if asked > self.policy.max_retry_after_s:
                raise error(f"{service} asks to wait {asked:.0f} s before the next request ({last})", hint)
        raise error(f"could not reach {service} ({last}, {self.policy.attempts} attempts)", hint)

    def get_json(
        self, service: str, url: str, params: Mapping[str, str] | None = None, post: Any = None
    ) -> tuple[int, Any]:
        """GET ``url`` (POST ``post`` as JSON when given); return the status and the JSON body (None when empty).

        Raises:
            ServiceUnavailableError: see :meth:`request`.
            ServiceAnswerError: the body is too large, not UTF-8 or not JSON.
        """
        method = "GET" if post is None else "POST"
        response = self.request(service, url, params, method=method, json_data=post)
        return response.status_code, json_body(response.content, service)

    def _limit(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        interval = self.intervals.get(host)
        if interval is None:
            return
        self.limiters.setdefault(host, RateLimiter(interval)).wait(self.clock, self.sleep)

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Seconds that a ``Retry-After`` header asks for (a number or an HTTP date), or None."""
        value = response.headers.get("retry-after", "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, when.timestamp() - self.clock())


def json_body(body: bytes, service: str) -> Any:
    """The JSON value of ``body``: strict UTF-8, at most :data:`MAX_BODY_BYTES` (empty -> None).

    Raises:
        ServiceAnswerError: naming ``service``.
    """
    if not body.strip():
        return None
    hint = "the service may be changing its API; run it again later, or report it"
    if len(body) > MAX_BODY_BYTES:
        raise ServiceAnswerError(f"{service}'s answer is too large ({len(body)} bytes)", hint)
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ServiceAnswerError(f"{service}'s answer is not UTF-8 text", hint) from None
    except ValueError as err:  # json.JSONDecodeError, or a number too long to convert
        raise ServiceAnswerError(f"{service}'s answer is not JSON ({err})", hint) from None


def open_http() -> Http:
    """The client of one online command: real clock and sleep, the host rate limits (tests replace this)."""
    return Http(new_client())
