"""The first download of an unconfirmed revision, and hub faults, against a loopback server speaking the hub API."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lvlmkb.eval.datasets.base import DatasetError
from lvlmkb.eval.datasets.hub import HubPin, fetch_hub, ledger_path

pytest.importorskip("huggingface_hub")
REVISION = "fedcba9876543210fedcba9876543210fedcba98"


@dataclass
class Hub:
    """What the loopback hub serves and what it was asked."""

    files: dict[str, bytes]
    fault: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    """Path prefix -> (status, body) answered instead of the normal response."""
    requests: list[str] = field(default_factory=list)


def _handler(hub: Hub) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            return

        def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool = False) -> None:
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _answer(self, head: bool) -> None:
            hub.requests.append(f"{self.command} {self.path}")
            for prefix, (status, body) in hub.fault.items():
                if self.path.startswith(prefix):
                    return self._send(status, body, {"Content-Type": "application/json"}, head)
            if "/tree/" in self.path:
                listing = [{"type": "file", "path": n, "size": len(b), "oid": "0" * 40} for n, b in hub.files.items()]
                return self._send(200, json.dumps(listing).encode(), {"Content-Type": "application/json"}, head)
            if self.path.startswith("/api/datasets/org/set/revision/"):
                info = {"id": "org/set", "sha": REVISION, "siblings": [{"rfilename": n} for n in hub.files]}
                return self._send(200, json.dumps(info).encode(), {"Content-Type": "application/json"}, head)
            if "/resolve/" in self.path:
                name = self.path.split(f"/resolve/{REVISION}/", 1)[-1]
                if name in hub.files:
                    body = hub.files[name]
                    headers = {"X-Repo-Commit": REVISION, "ETag": f'"{hashlib.sha256(body).hexdigest()}"'}
                    return self._send(200, body, headers, head)
            return self._send(404, b'{"error": "not found"}', {"Content-Type": "application/json"}, head)

        def do_HEAD(self) -> None:
            self._answer(head=True)

        def do_GET(self) -> None:
            self._answer(head=False)

    return Handler


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    from huggingface_hub import constants

    served = Hub(files={"a.json": b"[1, 2]"})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("LVLMKB_CACHE", str(tmp_path / "lvlmkb"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", constants.ENDPOINT + "/{repo_id}/resolve/{revision}/{filename}"
    )
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


PIN = HubPin("org/set", None, {"a.json": None}, hint="pass --data DIR")


def test_an_unreachable_hub_is_a_dataset_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    closed = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = closed.server_port
    closed.server_close()  # nothing listens there now
    monkeypatch.setenv("LVLMKB_CACHE", str(tmp_path / "lvlmkb"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(DatasetError, match="cannot look up the current revision") as err:
        fetch_hub(PIN)
    assert err.value.hint == "pass --data DIR"


def test_first_download_fixes_the_revision_and_the_hash(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    first = fetch_hub(PIN)
    assert first.revision == REVISION and first.sha256["a.json"] == hashlib.sha256(b"[1, 2]").hexdigest()
    assert set(first.first_seen) == {"a.json", "revision"}
    assert any(r.startswith("GET /api/datasets/org/set/revision/main") for r in hub.requests)
    ledger = json.loads(ledger_path("org/set").read_text(encoding="utf-8"))
    assert ledger["revision"] == REVISION and ledger["files"] == {REVISION: first.sha256}
    hub.requests.clear()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    again = fetch_hub(PIN)  # the ledger's revision, from the cache, without asking the hub
    assert again.revision == REVISION and again.first_seen == first.first_seen and hub.requests == []


@pytest.mark.parametrize(
    ("prefix", "status", "body", "message"),
    [
        ("/api/datasets/org/set/revision/", 500, b'{"error": "boom"}', "cannot look up the current revision"),
        ("/api/datasets/org/set/revision/", 200, b"{not json", "cannot look up the current revision"),
        ("/api/datasets/org/set/revision/", 404, b'{"error": "Repository not found"}', "cannot look up"),
        ("/datasets/org/set/resolve/", 500, b'{"error": "boom"}', "cannot download 1 file"),
    ],
    ids=["5xx", "malformed-json", "404", "file-5xx"],
)
def test_a_hub_fault_is_a_dataset_error(
    hub: Hub, prefix: str, status: int, body: bytes, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub.utils import _http

    waits: list[float] = []
    clock = types.SimpleNamespace(**{name: getattr(time, name) for name in dir(time) if not name.startswith("_")})
    clock.sleep = waits.append  # the library's own retry back-off, without the wait
    monkeypatch.setattr(_http, "time", clock)
    hub.fault[prefix] = (status, body)
    with pytest.raises(DatasetError, match=message) as err:
        fetch_hub(PIN)
    assert err.value.hint == "pass --data DIR"
    assert not ledger_path("org/set").exists(), "nothing is fixed from a failed download"
    if prefix.startswith("/datasets/") and status >= 500:
        assert waits, "huggingface_hub retried the file with its back-off before giving up"
