"""A standard-library backend for any OpenAI-compatible chat-completions endpoint (vLLM, SGLang, hosted APIs)."""

from __future__ import annotations

import base64
import email.utils
import http.client
import json
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.base import BackendError, GenerationRequest, GenerationResponse, ImageInput
from lvlmkb.eval.backends.registry import served_model

if TYPE_CHECKING:
    from lvlmkb.eval.backends.registry import BackendOptions
    from lvlmkb.kb.schema import ModelEntry

DEFAULT_BASE_URL = "https://api.openai.com/v1"
BACKOFF_BASE = 0.5  # seconds before the first retry; doubles with each further one
BACKOFF_CAP = 30.0  # longest wait between two attempts
RETRY_AFTER_CAP = 60.0  # longest wait a server may ask for with Retry-After
MAX_ERROR_CHARS = 200
URL_HINT = "e.g. --base-url http://127.0.0.1:8000/v1 or LVLMKB_OPENAI_BASE_URL"


class OpenAIRequestError(BackendError):
    """A chat-completions request failed; ``status`` is the last HTTP status, if any."""

    def __init__(self, message: str, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


class _Retryable(OpenAIRequestError):
    """A transient failure: try again after ``delay`` seconds (None: the usual backoff)."""

    def __init__(self, message: str, status: int | None = None, delay: float | None = None) -> None:
        super().__init__(message, "", status)
        self.delay = delay


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow redirects: they would resend the API key, possibly to another host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def content_part(part: str | ImageInput) -> dict[str, Any]:
    """Encode one message part as an OpenAI ``text`` part, or an ``image_url`` part with a PNG data URL."""
    if isinstance(part, str):
        return {"type": "text", "text": part}
    data = base64.b64encode(part.png).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}


def request_payload(model: str, request: GenerationRequest) -> dict[str, Any]:
    """The JSON body of a chat-completions call for ``model``; greedy settings send ``temperature: 0``."""
    s = request.settings
    return {
        "model": model,
        "messages": [{"role": m.role, "content": [content_part(p) for p in m.parts]} for m in request.messages],
        "max_tokens": s.max_new_tokens,
        "temperature": 0 if s.greedy else s.temperature,
        "top_p": s.top_p,
        "seed": s.seed,
    }


def parse_completion(body: bytes) -> str:
    """The text of the first choice of a chat-completions response ("" when its content is null).

    Raises:
        BackendError: The body is not JSON or has no usable choice.
    """
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise BackendError("malformed chat-completions response", f"body starts with {_short(body)!r}") from None
    if content is None:
        return ""
    if not isinstance(content, str):
        raise BackendError("malformed chat-completions response", "message content is not a string")
    return content


def _short(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _error_message(err: urllib.error.HTTPError) -> str:
    """The ``error.message`` of an OpenAI-style error body, else the start of the body."""
    try:
        body = err.read(4096)
    except (OSError, http.client.HTTPException):
        return "(no body)"
    try:
        error = json.loads(body)["error"]
        message = error["message"] if isinstance(error, dict) else error
        if isinstance(message, str):
            return _short(message)
    except (ValueError, KeyError, TypeError):
        pass
    return _short(body)


def _retry_after(value: str | None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds() if when.tzinfo else 0.0
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def _option(extra: Mapping[str, Any], key: str, kind: type[int] | type[float], default: float, minimum: float) -> Any:
    value = extra.get(key, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise UsageError(f"backend option {key}={value!r} is not a number") from None
    if not number >= minimum:  # also rejects NaN
        raise UsageError(f"backend option {key}={value!r} must be at least {minimum}")
    return number


def _checked_url(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"base URL is not an http(s) URL with a host (scheme '{parts.scheme}')", URL_HINT)
    if parts.username or parts.password:
        raise UsageError("base URL must not contain credentials", "put the API key in OPENAI_API_KEY")
    return parts._replace(path=parts.path.rstrip("/"), fragment="")


class OpenAIBackend:
    """Runs a model served behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    name = "openai"

    def __init__(
        self, model: str, base_url: str, api_key: str | None = None, options: Mapping[str, Any] | None = None
    ) -> None:
        """Create the backend.

        Args:
            model: The served model name sent as ``model``.
            base_url: The API root, e.g. ``http://127.0.0.1:8000/v1``.
            api_key: Sent as a Bearer token when given.
            options: ``concurrency`` (8), ``timeout`` in seconds (120), ``max_retries`` (4),
                ``backoff`` in seconds (``BACKOFF_BASE``).

        Raises:
            UsageError: The URL is not http(s) or an option is out of range.
        """
        parts = _checked_url(base_url)
        options = options or {}
        self.model = model
        self.base_url = urlunsplit(parts._replace(query=""))
        self._endpoint = urlunsplit(parts._replace(path=parts.path + "/chat/completions"))
        self._api_key = api_key or None
        self.concurrency: int = _option(options, "concurrency", int, 8, 1)
        self.timeout: float = _option(options, "timeout", float, 120.0, 0.001)
        self.max_retries: int = _option(options, "max_retries", int, 4, 0)
        self.backoff: float = _option(options, "backoff", float, BACKOFF_BASE, 0.0)
        self._opener = urllib.request.build_opener(_NoRedirect)

    @classmethod
    def from_entry(cls, entry: ModelEntry, options: BackendOptions) -> OpenAIBackend:
        """Create the backend for a registry entry, served as ``--served-model``, ``served_name`` or ``checkpoint``.

        The base URL is ``options.base_url``, else ``$LVLMKB_OPENAI_BASE_URL``, else ``$OPENAI_BASE_URL``,
        else the OpenAI API; the key is ``$OPENAI_API_KEY``; ``options.extra`` holds the other settings.
        """
        model = served_model(entry, options)
        if model is None:
            raise UsageError(f"model '{entry.id}' has no served name", "pass --served-model NAME")
        base_url = (
            options.base_url
            or os.environ.get("LVLMKB_OPENAI_BASE_URL")
            or os.environ.get("OPENAI_BASE_URL")
            or DEFAULT_BASE_URL
        )
        return cls(model, base_url, os.environ.get("OPENAI_API_KEY"), options.extra)

    def describe(self) -> dict[str, Any]:
        """Settings that identify this backend in a run record (never the API key)."""
        return {
            "backend": self.name,
            "base_url": self.base_url,
            "model": self.model,
            "concurrency": self.concurrency,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """Answer the requests concurrently, in request order.

        Raises:
            BackendError: A request failed after all retries, or the server answered nonsense.
        """
        if not requests:
            return []
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests)), thread_name_prefix="lvlmkb-openai")
        futures: list[Future[GenerationResponse]] = [pool.submit(self._answer, r) for r in requests]
        try:
            return [f.result() for f in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _answer(self, request: GenerationRequest) -> GenerationResponse:
        body = json.dumps(request_payload(self.model, request)).encode("utf-8")
        attempt = 0
        while True:
            try:
                return GenerationResponse(parse_completion(self._post(body)))
            except _Retryable as err:
                if attempt >= self.max_retries:
                    hint = f"gave up after {attempt + 1} attempt(s) against {self.base_url}"
                    raise OpenAIRequestError(err.message, hint, err.status) from None
                time.sleep(err.delay if err.delay is not None else self._backoff(attempt))
                attempt += 1

    def _backoff(self, attempt: int) -> float:
        delay = min(BACKOFF_CAP, self.backoff * 2.0**attempt)
        return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not cryptography

    def _post(self, body: bytes) -> bytes:
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "lvlmkb"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        req = urllib.request.Request(self._endpoint, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with self._opener.open(req, timeout=self.timeout) as response:
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as err:
            status = err.code
            message = f"HTTP {status} from chat completions: {_error_message(err)}"
            if status == 429 or status >= 500:
                raise _Retryable(message, status, _retry_after(err.headers.get("Retry-After"))) from None
            raise OpenAIRequestError(message, f"model '{self.model}' at {self.base_url}", status) from None
        except TimeoutError:
            raise _Retryable(f"no answer within {self.timeout:g} s") from None
        except urllib.error.URLError as err:
            raise _Retryable(f"cannot reach the server: {_short(str(err.reason))}") from None
        except (OSError, http.client.HTTPException) as err:
            raise _Retryable(f"connection failed: {_short(str(err) or type(err).__name__)}") from None
