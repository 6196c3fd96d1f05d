"""The OpenAI-compatible backend against a fake chat-completions server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import random
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends import openai_compat
from lvlmkb.eval.backends.base import (
    BackendError,
    GenerationRequest,
    GenerationSettings,
    ImageInput,
    Message,
    single_turn,
)
from lvlmkb.eval.backends.openai_compat import OpenAIBackend, OpenAIRequestError
from lvlmkb.eval.backends.registry import BackendOptions
from lvlmkb.kb.schema import ModelEntry


def tiny_png(width: int = 2, height: int = 1, rgb: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    """A valid RGB PNG written by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# A reply: (status, headers, body, delay before answering in seconds).
Reply = tuple[int, dict[str, str], bytes, float]


def completion(text: str) -> bytes:
    return json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}).encode()


def echo(body: dict[str, Any]) -> str:
    """The text parts of the last message, which the default script answers with."""
    return "|".join(p["text"] for p in body["messages"][-1]["content"] if p["type"] == "text")


@dataclass
class FakeServer:
    """Records every request; ``script(n, body)`` answers the n-th (0-based) one."""

    script: Callable[[int, dict[str, Any]], Reply] = lambda n, body: (200, {}, completion(echo(body)), 0.0)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers["Content-Length"]))
        body = json.loads(raw)
        with self.lock:
            n = len(self.bodies)
            self.bodies.append(body)
            self.headers.append(dict(handler.headers.items()))
            self.paths.append(handler.path)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        status, headers, payload, delay = self.script(n, body)
        time.sleep(delay)
        with self.lock:  # before answering: the client may send its next request as soon as it has the answer
            self.in_flight -= 1
        try:
            handler.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout test)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.bodies)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(openai_compat, "BACKOFF_BASE", 0.001)
    fake = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            fake.handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def backend(server: FakeServer, **options: Any) -> OpenAIBackend:
    settings: dict[str, Any] = {"timeout": 2.0, "backoff": 0.001, **options}
    return OpenAIBackend("test-model", server.url, options=settings)


def test_request_body_shape(server: FakeServer) -> None:
    png = tiny_png()
    request = GenerationRequest(
        (
            Message("system", ("be brief",)),
            Message.user("before", ImageInput(png), "after"),
        ),
        GenerationSettings(max_new_tokens=17, seed=3),
    )
    [response] = backend(server).generate([request])

    assert response.text == "before|after"
    assert server.paths == ["/v1/chat/completions"]
    body = server.bodies[0]
    assert body["model"] == "test-model"
    assert body["max_tokens"] == 17
    assert body["temperature"] == 0
    assert body["top_p"] == 1.0
    assert body["seed"] == 3
    system, user = body["messages"]
    assert system == {"role": "system", "content": [{"type": "text", "text": "be brief"}]}
    assert user["role"] == "user"
    assert [p["type"] for p in user["content"]] == ["text", "image_url", "text"]
    url = user["content"][1]["image_url"]["url"]
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    assert base64.b64decode(url[len(prefix) :]) == png
    assert server.headers[0]["Content-Type"] == "application/json"


def test_single_turn_puts_images_first_and_sampling_temperature(server: FakeServer) -> None:
    request = single_turn("hi", [ImageInput(tiny_png())], GenerationSettings(temperature=0.7, top_p=0.9))
    backend(server).generate([request])
    body = server.bodies[0]
    assert [p["type"] for p in body["messages"][0]["content"]] == ["image_url", "text"]
    assert body["temperature"] == 0.7
    assert body["top_p"] == 0.9


def test_order_preserved_and_concurrency_limited(server: FakeServer) -> None:
    rng = random.Random(0)
    server.script = lambda n, body: (200, {}, completion(echo(body)), rng.uniform(0.0, 0.03))
    requests = [single_turn(f"prompt {i}") for i in range(24)]
    responses = backend(server, concurrency=3).generate(requests)
    assert [r.text for r in responses] == [f"prompt {i}" for i in range(24)]
    assert server.count == 24
    assert 1 < server.max_in_flight <= 3


def test_concurrency_one_is_sequential(server: FakeServer) -> None:
    server.script = lambda n, body: (200, {}, completion(echo(body)), 0.005)
    backend(server, concurrency=1).generate([single_turn(str(i)) for i in range(5)])
    assert server.max_in_flight == 1


def test_empty_batch(server: FakeServer) -> None:
    assert backend(server).generate([]) == []
    assert server.count == 0


@pytest.mark.parametrize(
    ("status", "headers"),
    [(500, {}), (503, {}), (429, {"Retry-After": "0"})],
)
def test_retry_then_success(server: FakeServer, status: int, headers: dict[str, str]) -> None:
    def script(n: int, body: dict[str, Any]) -> Reply:
        if n < 2:
            return status, headers, b'{"error": {"message": "busy"}}', 0.0
        return 200, {}, completion("ok"), 0.0

    server.script = script
    [response] = backend(server, max_retries=2).generate([single_turn("x")])
    assert response.text == "ok"
    assert server.count == 3


def test_retries_exhausted(server: FakeServer) -> None:
    server.script = lambda n, body: (502, {}, b"<html>bad gateway</html>", 0.0)
    with pytest.raises(OpenAIRequestError) as info:
        backend(server, max_retries=2).generate([single_turn("x")])
    assert server.count == 3
    assert info.value.status == 502
    assert "HTTP 502" in info.value.message
    assert "bad gateway" in info.value.message
    assert "3 attempt" in info.value.hint


def test_no_retry_on_400(server: FakeServer) -> None:
    error = {"error": {"message": "image too large\n  please resize", "type": "invalid_request_error"}}
    server.script = lambda n, body: (400, {}, json.dumps(error).encode(), 0.0)
    with pytest.raises(BackendError) as info:
        OpenAIBackend("m", server.url, "sk-secret-key", {"timeout": 2.0, "max_retries": 3}).generate([single_turn("x")])
    assert server.count == 1
    err = info.value
    assert isinstance(err, OpenAIRequestError)
    assert err.status == 400
    assert err.message == "HTTP 400 from chat completions: image too large please resize"
    assert err.__cause__ is None
    assert err.__suppress_context__
    assert "sk-secret-key" not in str(err)
    assert "Traceback" not in str(err)


def test_redirect_not_followed(server: FakeServer) -> None:
    server.script = lambda n, body: (307, {"Location": "http://127.0.0.1:1/elsewhere"}, b"", 0.0)
    with pytest.raises(OpenAIRequestError) as info:
        OpenAIBackend("m", server.url, "sk-secret", {"timeout": 2.0}).generate([single_turn("x")])
    assert info.value.status == 307
    assert server.count == 1


def test_long_error_bodies_are_shortened(server: FakeServer) -> None:
    server.script = lambda n, body: (404, {}, b"x" * 10_000, 0.0)
    with pytest.raises(OpenAIRequestError) as info:
        backend(server).generate([single_turn("x")])
    assert len(info.value.message) < 300


def test_timeout_retries_then_fails(server: FakeServer) -> None:
    server.script = lambda n, body: (200, {}, completion("late"), 0.5)
    start = time.monotonic()
    with pytest.raises(OpenAIRequestError) as info:
        backend(server, timeout=0.1, max_retries=1).generate([single_turn("x")])
    assert time.monotonic() - start < 1.0
    assert server.count == 2
    assert info.value.status is None
    assert "no answer within 0.1 s" in info.value.message


def test_connection_refused_retries_then_fails(server: FakeServer) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = OpenAIBackend("m", f"http://127.0.0.1:{port}/v1", options={"timeout": 0.5, "max_retries": 2})
    with pytest.raises(OpenAIRequestError, match="cannot reach the server"):
        dead.generate([single_turn("x")])


@pytest.mark.parametrize(
    "payload",
    [b"not json", b'{"choices": []}', b'{"object": "chat.completion"}', b'{"choices": [{"message": {"content": 3}}]}'],
)
def test_malformed_response(server: FakeServer, payload: bytes) -> None:
    server.script = lambda n, body: (200, {}, payload, 0.0)
    with pytest.raises(BackendError, match="malformed"):
        backend(server, max_retries=3).generate([single_turn("x")])
    assert server.count == 1


def test_null_content_is_empty_text(server: FakeServer) -> None:
    server.script = lambda n, body: (200, {}, b'{"choices": [{"message": {"content": null}}]}', 0.0)
    assert backend(server).generate([single_turn("x")])[0].text == ""


def test_failure_in_batch_raises(server: FakeServer) -> None:
    server.script = lambda n, body: (400, {}, b"{}", 0.0) if echo(body) == "bad" else (200, {}, completion("ok"), 0.0)
    requests = [single_turn("good"), single_turn("bad"), single_turn("good")]
    with pytest.raises(OpenAIRequestError):
        backend(server, concurrency=1).generate(requests)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/v1", "file:///etc/passwd", "example.com/v1", "http://", "", "http://h:port/v1"]
)
def test_non_http_base_url_rejected(url: str) -> None:
    with pytest.raises(UsageError, match="not an http"):
        OpenAIBackend("m", url)


def test_rejected_url_not_echoed() -> None:
    with pytest.raises(UsageError) as info:
        OpenAIBackend("m", "ftp://user:secret@example.com/v1")
    assert "secret" not in str(info.value)


def test_credentials_in_url_rejected() -> None:
    with pytest.raises(UsageError, match="credentials"):
        OpenAIBackend("m", "https://user:pw@example.com/v1")


@pytest.mark.parametrize(
    "options",
    [{"concurrency": 0}, {"timeout": 0}, {"timeout": float("nan")}, {"max_retries": -1}, {"concurrency": "many"}],
)
def test_bad_options_rejected(options: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        OpenAIBackend("m", "http://127.0.0.1:1/v1", options=options)


def test_api_key_sent_as_bearer_and_not_described(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-123")
    entry = ModelEntry(id="served", label="Served", family="test", checkpoint="org/served-model", backend="openai")
    extra = {"concurrency": "2", "timeout": 1, "api_key": "ignored", "other_backend_option": True}
    options = BackendOptions(base_url=server.url + "/?api-version=1", extra=extra)
    client = OpenAIBackend.from_entry(entry, options)
    client.generate([single_turn("x")])

    assert server.headers[0]["Authorization"] == "Bearer sk-test-123"
    assert server.paths == ["/v1/chat/completions?api-version=1"]
    assert server.bodies[0]["model"] == "org/served-model"
    described = client.describe()
    assert "sk-test-123" not in json.dumps(described)
    assert described == {
        "backend": "openai",
        "base_url": server.url,
        "model": "org/served-model",
        "concurrency": 2,
        "timeout": 1.0,
        "max_retries": 4,
    }


def test_no_authorization_without_key(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    entry = ModelEntry(id="served", label="Served", family="test", checkpoint="m", backend="openai")
    OpenAIBackend.from_entry(entry, BackendOptions(base_url=server.url)).generate([single_turn("x")])
    assert "Authorization" not in server.headers[0]


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = ModelEntry(id="served", label="Served", family="test", checkpoint="m", backend="openai")
    for name in ("LVLMKB_OPENAI_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert OpenAIBackend.from_entry(entry, BackendOptions()).base_url == "https://api.openai.com/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://b.example/v1")
    assert OpenAIBackend.from_entry(entry, BackendOptions()).base_url == "http://b.example/v1"
    monkeypatch.setenv("LVLMKB_OPENAI_BASE_URL", "http://a.example/v1/")
    assert OpenAIBackend.from_entry(entry, BackendOptions()).base_url == "http://a.example/v1"
    options = BackendOptions(base_url="http://c.example:8000/v1")
    assert OpenAIBackend.from_entry(entry, options).base_url == "http://c.example:8000/v1"


def test_retry_after_parsing() -> None:
    assert openai_compat._retry_after(None) is None
    assert openai_compat._retry_after("2") == 2.0
    assert openai_compat._retry_after("100000") == openai_compat.RETRY_AFTER_CAP
    assert openai_compat._retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert openai_compat._retry_after("soon") is None


def test_is_a_backend() -> None:
    from lvlmkb.eval.backends.base import Backend
    from lvlmkb.eval.backends.registry import backend_class

    assert backend_class("openai") is OpenAIBackend
    assert isinstance(OpenAIBackend("m", "http://127.0.0.1:1/v1"), Backend)
