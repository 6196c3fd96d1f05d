"""Downloads are pinned by sha256, written atomically, and never leave an unverified file in the cache."""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import pkgutil
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import lvlmkb.eval
from lvlmkb.eval.datasets.base import MAX_DOWNLOAD_BYTES, DatasetError, RemoteFile, fetch

GOOD = b"category_id,task_id,question\n1,1,How do I bake bread?\n"
SHA = hashlib.sha256(GOOD).hexdigest()


class _Opener:
    """Stands in for ``urllib.request.urlopen``: serves fixed bytes and counts the requests."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.urls: list[str] = []

    def __call__(self, url: str, timeout: float = 0) -> io.BytesIO:
        self.urls.append(url)
        return io.BytesIO(self.body)


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("LVLMKB_OFFLINE", raising=False)


def _serve(monkeypatch: pytest.MonkeyPatch, body: bytes) -> _Opener:
    opener = _Opener(body)
    monkeypatch.setattr(urllib.request, "urlopen", opener)
    return opener


def _remote(sha: str = SHA, url: str = "https://example.org/abc123/data.csv") -> RemoteFile:
    return RemoteFile(url=url, sha256=sha, revision="abc123", name="data.csv")


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.mark.usefixtures("online")
def test_a_verified_download_is_cached_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opener = _serve(monkeypatch, GOOD)
    path = fetch(_remote(), root=tmp_path)
    assert path.read_bytes() == GOOD and _files(tmp_path) == [f"data/{SHA[:16]}/data.csv"]
    assert fetch(_remote(), root=tmp_path) == path and len(opener.urls) == 1


@pytest.mark.usefixtures("online")
def test_a_mismatch_stops_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _serve(monkeypatch, GOOD + b"tampered\n")
    with pytest.raises(DatasetError, match=f"expected {SHA}") as info:
        fetch(_remote(), root=tmp_path)
    assert "--data PATH" in info.value.hint
    assert _files(tmp_path) == []


@pytest.mark.usefixtures("online")
def test_a_tampered_cache_copy_is_replaced_or_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "data" / SHA[:16] / "data.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"changed on disk")
    _serve(monkeypatch, GOOD)
    assert fetch(_remote(), root=tmp_path).read_bytes() == GOOD
    target.write_bytes(b"changed on disk")
    _serve(monkeypatch, b"also wrong")
    with pytest.raises(DatasetError):
        fetch(_remote(), root=tmp_path)
    assert _files(tmp_path) == []


@pytest.mark.usefixtures("online")
@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x.csv", "data:,x", "//example.org/x.csv"])
def test_only_http_is_fetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    opener = _serve(monkeypatch, GOOD)
    with pytest.raises(DatasetError, match="refusing to download"):
        fetch(_remote(url=url), root=tmp_path)
    assert opener.urls == [] and _files(tmp_path) == []


@pytest.mark.usefixtures("online")
def test_an_oversized_answer_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _serve(monkeypatch, b"x" * (MAX_DOWNLOAD_BYTES + 1))
    with pytest.raises(DatasetError, match="larger than expected"):
        fetch(_remote(), root=tmp_path)
    assert _files(tmp_path) == []


@pytest.mark.usefixtures("online")
def test_the_file_appears_by_an_atomic_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _serve(monkeypatch, GOOD)
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def recording_replace(src: Any, dst: Any) -> None:
        renames.append((Path(src), Path(dst)))
        assert not Path(dst).exists()  # nothing at the final name before the rename
        real_replace(src, dst)

    monkeypatch.setattr("lvlmkb.fsio.os.replace", recording_replace)
    path = fetch(_remote(), root=tmp_path)
    [(src, dst)] = renames
    assert dst == path and src.parent == path.parent and re.fullmatch(r"\.data\.csv\..+\.tmp", src.name)

    def failing_replace(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    path.unlink()
    monkeypatch.setattr("lvlmkb.fsio.os.replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        fetch(_remote(), root=tmp_path)
    assert _files(tmp_path) == []


def test_offline_never_opens_a_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opener = _serve(monkeypatch, GOOD)
    with pytest.raises(DatasetError, match="offline mode"):
        fetch(_remote(), root=tmp_path)
    assert opener.urls == []


def test_every_shipped_download_is_pinned() -> None:
    from lvlmkb.eval.registry import load_plugins
    from tests.conftest import REPO

    load_plugins(REPO / "reproductions")
    packages = [lvlmkb.eval, importlib.import_module("reproductions")]
    modules = [info.name for p in packages for info in pkgutil.walk_packages(p.__path__, f"{p.__name__}.")]
    remotes = [
        value
        for name in modules
        if not name.startswith("lvlmkb.eval.backends.")  # torch-backed; no downloads of their own
        for value in vars(importlib.import_module(name)).values()
        if isinstance(value, RemoteFile)
    ]
    assert remotes
    for remote in remotes:
        assert remote.url.startswith("https://") and re.fullmatch(r"[0-9a-f]{64}", remote.sha256), remote
        assert re.fullmatch(r"[0-9a-f]{40}", remote.revision) and remote.revision in remote.url, remote
        assert "/" not in remote.name and remote.name not in {"", ".", ".."}, remote
