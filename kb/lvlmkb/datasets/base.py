"""A dataset is a sequence of samples; a remote file is pinned by revision and sha256."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from lvlmkb.errors import LvlmkbError
from lvlmkb.fsio import write_atomic

DOWNLOAD_TIMEOUT = 60
MAX_DOWNLOAD_BYTES = 256 << 20


class DatasetError(LvlmkbError):
    """A dataset could not be fetched, verified or parsed."""


@dataclass(frozen=True)
class Sample:
    """One test case: an id, a category and named text fields (and an optional image file)."""

    id: str
    category: str
    fields: dict[str, str] = field(default_factory=dict)
    image: Path | None = None


@dataclass(frozen=True)
class RemoteFile:
    """A file at a pinned revision of a public repository, with the sha256 of its bytes."""

    url: str
    sha256: str
    revision: str
    name: str


def cache_dir() -> Path:
    """``$LVLMKB_CACHE`` or ``~/.cache/lvlmkb``."""
    root = os.environ.get("LVLMKB_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "lvlmkb"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(remote: RemoteFile, root: Path | None = None) -> Path:
    """Return the verified cached copy of ``remote``, downloading it once if needed."""
    target = (root or cache_dir()) / "data" / remote.sha256[:16] / remote.name
    if target.is_file() and sha256_file(target) == remote.sha256:
        return target
    data = _download(remote)
    actual = hashlib.sha256(data).hexdigest()
    if actual != remote.sha256:
        raise DatasetError(
            f"{remote.name} from {remote.url} has sha256 {actual}, expected {remote.sha256}",
            "the source changed or the download was altered; pass --data PATH to a copy you trust",
        )
    write_atomic(target, data)
    return target


def _download(remote: RemoteFile) -> bytes:
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("LVLMKB_OFFLINE") == "1":
        raise DatasetError(
            f"offline mode: cannot download {remote.name}", f"download {remote.url} and pass --data PATH"
        )
    try:
        with urllib.request.urlopen(remote.url, timeout=DOWNLOAD_TIMEOUT) as response:  # noqa: S310 - https only
            data: bytes = response.read(MAX_DOWNLOAD_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise DatasetError(
            f"could not download {remote.name} ({reason})", f"download {remote.url} and pass --data PATH"
        ) from err
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise DatasetError(f"{remote.name} is larger than expected", "pass --data PATH to a local copy")
    return data
