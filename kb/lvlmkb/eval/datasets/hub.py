"""Datasets on the Hugging Face hub, fetched with ``huggingface_hub`` at a pinned revision into its cache.

A :class:`HubPin` names a dataset repository, the commit lvlmkb reads and the sha256 of each file it
hashes. ``huggingface_hub`` does the download (its cache, resumption, ``HF_HUB_OFFLINE``, ``HF_TOKEN`` and
``HF_ENDPOINT``); lvlmkb only checks what arrived. Pins are facts with sources, so a value that could not
be confirmed from this project is ``None`` and is fixed on first use instead (trust on first use): an
unconfirmed revision becomes the commit the hub's ``main`` pointed at, an unconfirmed hash the hash of the
file first downloaded. Both are written to a ledger in lvlmkb's cache (``hub-pins/<owner>--<name>.json``,
hashes kept per revision, so a new pinned revision starts afresh), every later use must match it, and the
run's dataset record (:func:`origin_of`) gives the revision, each file's sha256 and which values were first
seen here rather than confirmed (and when).
"""

from __future__ import annotations

import datetime
import importlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lvlmkb.cachedir import cache_dir
from lvlmkb.errors import LvlmkbError
from lvlmkb.eval.datasets.base import DatasetError, sha256_file
from lvlmkb.fsio import write_atomic

COMMIT = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class HubPin:
    """A dataset repository at a commit, with the sha256 of the files lvlmkb hashes (None: not confirmed)."""

    repo_id: str
    revision: str | None
    files: Mapping[str, str | None]
    source: str = ""
    """Where the pinned values were seen (a commit page, a card), or why they are unconfirmed."""
    hint: str = ""
    """What to do instead when the hub cannot serve the files (usually: pass --data DIR)."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.revision is not None and not COMMIT.fullmatch(self.revision):
            raise ValueError(f"{self.repo_id}: a pinned revision is a full 40-hex commit, not {self.revision!r}")


@dataclass(frozen=True)
class HubFiles:
    """What a fetch produced: the snapshot folder and what each pinned value turned out to be."""

    folder: Path
    revision: str
    sha256: dict[str, str]
    first_seen: dict[str, str]
    """Values fixed on first use (``revision`` or a file path) and the UTC date they were first seen."""

    def describe(self, pin: HubPin) -> dict[str, Any]:
        """The dataset record's view: repository, revision, hashes, and which values are unconfirmed."""
        return {
            "hub": pin.repo_id,
            "revision": self.revision,
            "sha256": dict(self.sha256),
            "unconfirmed": dict(self.first_seen),
            "source": pin.source,
        }


def ledger_path(repo_id: str) -> Path:
    """Where the first-seen values of ``repo_id`` are kept."""
    return cache_dir() / "hub-pins" / (repo_id.replace("/", "--") + ".json")


def _read_ledger(repo_id: str) -> dict[str, Any]:
    """The ledger: ``revision`` (first seen, for an unpinned one) and per revision each file's sha256 and date.

    Raises:
        DatasetError: The file is unreadable or not in this shape (lvlmkb wrote it; it may have been edited).
    """
    path = ledger_path(repo_id)
    if not path.is_file():
        return {"files": {}, "first_seen": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DatasetError(f"unreadable ledger {path}: {err}", "delete it to fix the values again on next use") from err
    if not _ledger_shape(data):
        raise DatasetError(f"ledger {path} is not lvlmkb's", "delete it to fix the values again on next use")
    return dict(data)


def _ledger_shape(data: Any) -> bool:
    """Whether ``data`` is a ledger: string revision and dates, and {revision: {file: text}} tables."""
    if not isinstance(data, dict) or not isinstance(data.get("revision", ""), str):
        return False
    if not isinstance(data.get("revision_first_seen", ""), str):
        return False
    tables = [data.get("files"), data.get("first_seen")]
    return all(
        isinstance(table, dict)
        and all(isinstance(rows, dict) and all(isinstance(v, str) for v in rows.values()) for rows in table.values())
        for table in tables
    )


def _today() -> str:
    return datetime.datetime.now(datetime.UTC).date().isoformat()


def _resolve_revision(pin: HubPin, ledger: dict[str, Any]) -> tuple[str, bool]:
    """The commit to read and whether it was fixed just now."""
    if pin.revision is not None:
        return pin.revision, False
    if ledger.get("revision"):
        return str(ledger["revision"]), False
    from huggingface_hub import HfApi

    info = _hub_call(pin, "look up the current revision", lambda: HfApi().dataset_info(pin.repo_id, revision="main"))
    sha = getattr(info, "sha", None)
    if not isinstance(sha, str) or not COMMIT.fullmatch(sha):
        raise DatasetError(f"the hub gave no commit for {pin.repo_id}", pin.hint or "pass --data DIR")
    return sha, True


def _hub_call(pin: HubPin, what: str, call: Any) -> Any:
    """Run a ``huggingface_hub`` call; its failures become a :class:`DatasetError` that says what to do."""
    from huggingface_hub import errors

    try:
        return call()
    except errors.LocalEntryNotFoundError as err:
        reason = "it is not in the local Hugging Face cache and the hub cannot be reached (or HF_HUB_OFFLINE=1)"
        raise DatasetError(f"cannot {what} of {pin.repo_id}: {reason}", pin.hint or "pass --data DIR") from err
    except (errors.RepositoryNotFoundError, errors.RevisionNotFoundError, errors.EntryNotFoundError) as err:
        raise DatasetError(f"cannot {what} of {pin.repo_id}: {_first_line(err)}", pin.hint or "--data") from err
    except (errors.HfHubHTTPError, OSError) as err:
        raise DatasetError(f"cannot {what} of {pin.repo_id}: {_first_line(err)}", pin.hint or "--data") from err
    except _transport_errors() as err:  # a transport failure the call did not wrap (refused, timed out)
        raise DatasetError(f"cannot {what} of {pin.repo_id}: {_first_line(err)}", pin.hint or "--data") from err
    except (ValueError, KeyError, TypeError) as err:  # an answer huggingface_hub could not read (malformed JSON)
        raise DatasetError(
            f"cannot {what} of {pin.repo_id}: the hub's answer was not understood ({type(err).__name__})",
            pin.hint or "pass --data DIR",
        ) from err


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The base error of the HTTP client ``huggingface_hub`` uses (``httpx2`` in its 2.x releases, ``httpx`` before)."""
    found: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(name).HTTPError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def fetch_hub(pin: HubPin, extra: Iterable[str] = ()) -> HubFiles:
    """Download the pinned files (and ``extra`` paths, not hashed) at the pinned revision; check their hashes.

    Args:
        pin: The repository, revision and hashed files.
        extra: More paths of the same snapshot (images a CSV names); each must arrive, none is hashed.

    Returns:
        The snapshot folder (inside the Hugging Face cache), the revision and every hashed file's sha256.

    Raises:
        DatasetError: The hub or the cache cannot serve a file, a file is missing from the snapshot, or a
            hash differs from the pin or from the value first seen.
    """
    from huggingface_hub import snapshot_download

    ledger = _read_ledger(pin.repo_id)
    revision, fixed_now = _resolve_revision(pin, ledger)
    wanted = sorted({*pin.files, *extra})
    patterns = allow_patterns(wanted)
    folder = Path(
        _hub_call(
            pin,
            f"download {len(wanted)} file(s) at {revision[:12]}",
            lambda: snapshot_download(pin.repo_id, repo_type="dataset", revision=revision, allow_patterns=patterns),
        )
    )
    missing = [name for name in wanted if not (folder / name).is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DatasetError(f"{pin.repo_id}@{revision[:12]} lacks {shown}", pin.hint or "pass --data DIR")
    hashes = {name: sha256_file(folder / name) for name in sorted(pin.files)}
    first_seen = _check_hashes(pin, revision, hashes, ledger)
    new = [name for name in first_seen if name not in ledger["files"].get(revision, {})]
    if fixed_now or new:
        _write_ledger(pin, revision, hashes, ledger, fixed_now)
    if pin.revision is None:
        first_seen["revision"] = str(ledger.get("revision_first_seen") or _today())
    return HubFiles(folder, revision, hashes, first_seen)


MANY_FILES = 500
"""Above this many files, whole folders are asked for: ``huggingface_hub`` matches every file of the
repository against every pattern, which takes about 10 s for 2,000 patterns over 30,000 files."""


def allow_patterns(names: list[str]) -> list[str]:
    """``snapshot_download`` patterns for exactly ``names`` (fnmatch specials escaped), or their folders when many."""
    if len(names) > MANY_FILES:
        folders = sorted({name.rsplit("/", 1)[0] + "/*" if "/" in name else name for name in names})
        return [_escape(pattern[:-2]) + "/*" if pattern.endswith("/*") else _escape(pattern) for pattern in folders]
    return [_escape(name) for name in names]


def _escape(name: str) -> str:
    """An fnmatch pattern matching ``name`` only (``[``, ``*`` and ``?`` as themselves)."""
    return "".join(f"[{char}]" if char in "[]*?" else char for char in name)


def _check_hashes(pin: HubPin, revision: str, hashes: dict[str, str], ledger: dict[str, Any]) -> dict[str, str]:
    """Compare each file with its pin, else with its value first seen at this revision; returns the unconfirmed."""
    seen: dict[str, str] = ledger["files"].get(revision, {})
    dates: dict[str, str] = ledger["first_seen"].get(revision, {})
    first_seen: dict[str, str] = {}
    for name, actual in hashes.items():
        expected = pin.files[name] or seen.get(name)
        if expected is not None and actual != expected:
            kind = "pinned" if pin.files[name] else f"first seen {dates.get(name, '?')}"
            raise DatasetError(
                f"{pin.repo_id}@{revision[:12]}:{name} has sha256 {actual[:16]}..., not the {kind} {expected[:16]}...",
                f"the file changed or the download is damaged; delete it from the Hugging Face cache (and "
                f"{ledger_path(pin.repo_id)} if the new file is right), or pass --data DIR",
            )
        if pin.files[name] is None:
            first_seen[name] = dates.get(name, _today())
    return first_seen


def _write_ledger(pin: HubPin, revision: str, hashes: dict[str, str], ledger: dict[str, Any], fixed: bool) -> None:
    today = _today()
    if fixed:
        ledger["revision"], ledger["revision_first_seen"] = revision, today
    seen = ledger["files"].setdefault(revision, {})
    dates = ledger["first_seen"].setdefault(revision, {})
    for name, value in hashes.items():
        if pin.files[name] is None and name not in seen:
            seen[name], dates[name] = value, today
    path = ledger_path(pin.repo_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"repo_id": pin.repo_id, **ledger}, indent=2, sort_keys=True) + "\n")
    except (OSError, LvlmkbError) as err:
        raise DatasetError(f"cannot write {path}: {err}", "check that lvlmkb's cache folder is writable") from err


def extracted_dir(repo_id: str, revision: str) -> Path:
    """Where lvlmkb unpacks an archive of ``repo_id`` at ``revision`` (its name says where it came from)."""
    return cache_dir() / "hub-extracted" / repo_id.replace("/", "--") / revision


_ORIGINS: dict[Path, dict[str, Any]] = {}
"""What each dataset file a loader returned from the hub in this process came from (see :func:`note_origin`)."""


def note_origin(path: Path, pin: HubPin, files: HubFiles) -> Path:
    """Remember that the dataset file ``path`` was read from ``files`` (for the run record); returns ``path``."""
    _ORIGINS[path.absolute()] = files.describe(pin)
    return path


def origin_of(path: Path) -> dict[str, Any] | None:
    """Where the dataset file ``path`` came from when a loader fetched it from the hub in this process.

    Repository, revision, every hashed file's sha256 and the values that were not confirmed (each with the
    date it was first seen). None for any other file (a ``--data`` copy or a pinned raw download).
    """
    return _ORIGINS.get(path.absolute())
