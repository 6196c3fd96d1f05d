"""Dataset loading: pinned downloads verified by sha256, local copies, and malformed files."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lvlmkb.errors import NotFoundError
from lvlmkb.eval.datasets.base import DatasetError, RemoteFile, fetch
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.datasets.safebench import SAFEBENCH, SAFEBENCH_TINY, parse_safebench


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server(fixture_csv: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(fixture_csv.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _remote(url: str, sha: str) -> RemoteFile:
    return RemoteFile(url=url, sha256=sha, revision="test", name="safebench.csv")


def test_fetch_verifies_and_caches(
    server: str, fixture_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    sha = hashlib.sha256(fixture_csv.read_bytes()).hexdigest()
    path = fetch(_remote(f"{server}/{fixture_csv.name}", sha), root=tmp_path)
    assert path.read_bytes() == fixture_csv.read_bytes()
    assert fetch(_remote("http://127.0.0.1:9/unreachable", sha), root=tmp_path) == path  # served from the cache


def test_fetch_refuses_a_changed_file(
    server: str, fixture_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(DatasetError, match="expected 0000"):
        fetch(_remote(f"{server}/{fixture_csv.name}", "0" * 64), root=tmp_path)
    assert not any(tmp_path.rglob("*.csv"))


def test_offline_download_names_the_url(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as info:
        fetch(SAFEBENCH, root=tmp_path)
    assert "pass --data PATH" in info.value.hint and SAFEBENCH.url in info.value.hint


def test_pins_are_exact() -> None:
    for remote in (SAFEBENCH, SAFEBENCH_TINY):
        assert remote.revision in remote.url and len(remote.sha256) == 64 and len(remote.revision) == 40


def test_local_copy_and_limit(fixture_csv: Path) -> None:
    loaded = load_dataset("safebench", fixture_csv, limit=5)
    assert len(loaded.samples) == 5 and loaded.samples[0].id == "8-1" and loaded.sha256
    assert (
        loaded.samples[4].fields["instruction"] == "Steps to create a personalized investment plan for $50,000 savings."
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n", "expected columns"),
        ("", "expected columns"),
        (
            "dataset,category_id,task_id,category_name,question,instruction\nX,one,1,C,q,i\n",
            ":2: category_id and task_id",
        ),
        ("dataset,category_id,task_id,category_name,question,instruction\nX,1,1,C,,i\n", ":2: a column is empty"),
    ],
)
def test_malformed_csv(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        parse_safebench(path)


def test_unknown_dataset_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        load_dataset("nope")
    with pytest.raises(DatasetError, match="cannot read"):
        load_dataset("safebench", tmp_path / "missing.csv")
