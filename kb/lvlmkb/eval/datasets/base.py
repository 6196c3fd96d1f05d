"""A dataset is a sequence of samples; a remote file is pinned by revision and sha256."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from lvlmkb.cachedir import cache_dir
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


def inside(folder: Path, name: str, where: str) -> Path:
    """``folder / name`` for a relative path ``name`` read from a dataset file; refuse one that leaves ``folder``.

    The check is on the resolved path, so neither ``..``, an absolute path nor a symbolic link inside
    the data folder can make a dataset file point lvlmkb at a file elsewhere.

    Raises:
        DatasetError: ``name`` leads outside ``folder``.
    """
    path = folder / name
    if "\0" in name or not (path.resolve().is_relative_to(folder.resolve()) or _hub_blob(folder, name)):
        raise DatasetError(
            f"{where}: {name!r} leads outside {folder}",
            "a dataset file may name only files inside its folder; copy the files in rather than linking them",
        )
    return path


def _hub_blob(folder: Path, name: str) -> bool:
    """Whether ``path`` is a file of a Hugging Face snapshot that ``folder`` belongs to.

    ``huggingface_hub`` stores a snapshot's files as links into its repository's ``blobs/`` folder, so the
    resolved path of every file leaves the snapshot. Such a file is accepted when its name stays inside
    ``folder`` lexically (no ``..``, not absolute) and its link lands in the same repository's ``blobs/``.
    """
    parts = folder.resolve().parts
    if "snapshots" not in parts:
        return False
    repo = Path(*parts[: len(parts) - parts[::-1].index("snapshots") - 1])
    lexical = Path(os.path.normpath(folder.resolve() / name))
    return lexical.is_relative_to(folder.resolve()) and (folder / name).resolve().is_relative_to(repo / "blobs")


def is_file(path: Path) -> bool:
    """Whether ``path`` is a file; False, not an error, for a name the system refuses (too long, say)."""
    return os.path.isfile(path)


def find_data_file(data: Path, name: str | Path, subfolder: str, hint: str) -> Path:
    """``data`` itself when it is a file, else ``data/<name>`` or ``data/<subfolder>/<name>``.

    Raises:
        DatasetError: when none of them is a file.
    """
    if data.is_file():
        return data
    for candidate in (data / name, data / subfolder / name):
        if candidate.is_file():
            return candidate
    raise DatasetError(f"no {Path(name).as_posix()} in {data}", hint)


def find_data_root(data: Path, folder: str, subfolder: str, hint: str) -> Path:
    """The folder holding ``folder/``: ``data`` itself or ``data/<subfolder>``.

    Raises:
        DatasetError: when neither holds it.
    """
    for candidate in (data, data / subfolder):
        if (candidate / folder).is_dir():
            return candidate
    raise DatasetError(f"{data} has no {folder}/ folder", hint)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pinned_file(local: Path | None, remote: RemoteFile, sha256: str, what: str, flag: str) -> Path:
    """A released file: ``local`` when given, else ``remote`` downloaded; either way its sha256 must be ``sha256``.

    ``sha256`` is the pinned hash unless the user named another on purpose (``flag``, the option that sets it).

    Raises:
        DatasetError: the file's hash differs, or the download fails.
    """
    path = local or fetch(remote)
    found = sha256_file(path)
    if found != sha256:
        raise DatasetError(
            f"{path} has sha256 {found[:12]}…, not {what} ({sha256[:12]}…)",
            f"pass {what}, or {flag}=<its hash> to use another file on purpose",
        )
    return path


def fetch(remote: RemoteFile, root: Path | None = None) -> Path:
    """Return the verified cached copy of ``remote``, downloading it once if needed.

    Only http(s) is fetched (the shipped pins are https). The bytes are checked against the pinned sha256
    before anything is written, then written to a temporary file and renamed into place; a cached copy
    that no longer matches is deleted, so the cache never holds an unverified file.
    """
    if not remote.url.startswith(("https://", "http://")):
        raise DatasetError(f"{remote.name}: refusing to download from {remote.url}", "datasets are fetched over https")
    target = (root or cache_dir()) / "data" / remote.sha256[:16] / remote.name
    if target.is_file() and sha256_file(target) == remote.sha256:
        return target
    target.unlink(missing_ok=True)
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
