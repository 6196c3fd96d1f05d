"""The generation caches: append-only JSON-lines files keyed by request hash.

Each batch is appended and fsynced before the next one starts, so a run killed at any point loses at
most the batch in flight; a torn last line is detected and cut off when the file is opened again.

Two files serve a run (:class:`RunCache`): the run folder's own ``generations.jsonl`` (the run's
responses, kept with its record) and a file shared by every run of the same model and backend under
the cache folder, so a run with a larger ``--limit``, another judge or another output folder sends
only the requests no earlier run sent. The shared file is written by concurrent runs: every append
and every repair of a torn tail holds an exclusive ``flock`` on it.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from lvlmkb.cachedir import cache_dir
from lvlmkb.eval.backends.base import GenerationResponse

SHARED_ENV = "LVLMKB_GENERATION_CACHE"
"""Overrides the folder of the shared generation files (default: ``generations/`` in the cache folder)."""


@contextmanager
def _locked(handle: IO[Any]) -> Iterator[None]:
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class GenerationStore:
    """Request key → response, persisted in one JSON-lines file.

    ``read=False`` starts from nothing without touching the file (``--fresh`` on a shared file: the
    new responses are appended and, the later line winning, replace the old ones for later runs).
    """

    def __init__(self, path: Path, *, read: bool = True) -> None:
        self.path = path
        self.responses: dict[str, GenerationResponse] = {}
        if read:
            self._load()

    def _load(self) -> None:
        try:
            handle = self.path.open("r+b")
        except FileNotFoundError:
            return
        with handle, _locked(handle):
            raw = handle.read()
            good_end = self._parse(raw)
            if good_end < len(raw):
                handle.truncate(good_end)

    def _parse(self, raw: bytes) -> int:
        """Read the complete entries of ``raw``; return where they end."""
        good_end = 0
        for line in raw.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break
            try:
                entry = json.loads(line)
                trace = entry.get("trace")
                if trace is not None and not isinstance(trace, dict):
                    break
                self.responses[entry["key"]] = GenerationResponse(
                    entry["text"], tuple(entry.get("token_ids", ())), trace
                )
            except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
                break
            good_end += len(line)
        return good_end

    def __contains__(self, key: object) -> bool:
        return key in self.responses

    def get(self, key: str) -> GenerationResponse:
        """The cached response for ``key``."""
        return self.responses[key]

    def add(self, items: Iterable[tuple[str, GenerationResponse]]) -> None:
        """Append responses durably (write, flush, fsync, under the file's lock) and remember them.

        A key already held is kept, unless its response has no defense trace and the new one has: the traced
        line is appended and wins when the file is read again (the earlier line stays, nothing is rewritten).
        """
        lines = []
        for key, response in items:
            held = self.responses.get(key)
            if held is not None and not (held.trace is None and response.trace is not None):
                continue
            self.responses[key] = response
            entry: dict[str, Any] = {"key": key, "text": response.text, "token_ids": list(response.token_ids)}
            if response.trace is not None:
                entry["trace"] = response.trace
            lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle, _locked(handle):
            handle.write("".join(lines))
            handle.flush()
            os.fsync(handle.fileno())

    def clear(self) -> None:
        """Forget everything and remove the file (``--fresh`` on a run folder's own file)."""
        self.responses.clear()
        self.path.unlink(missing_ok=True)


def shared_path(context_hash: str) -> Path:
    """The shared file of the runs whose responses depend alike on what ``context_hash`` (a hex digest) names."""
    folder = os.environ.get(SHARED_ENV)
    return (Path(folder).expanduser() if folder else cache_dir() / "generations") / f"{context_hash[:24]}.jsonl"


class RunCache:
    """A run's responses: its folder's own file first, then the shared file; new ones go to both."""

    def __init__(self, run_file: Path, shared_file: Path | None, *, fresh: bool = False) -> None:
        self.own = GenerationStore(run_file)
        if fresh:
            self.own.clear()
        self.shared = GenerationStore(shared_file, read=not fresh) if shared_file is not None else None

    def __contains__(self, key: object) -> bool:
        return key in self.own or (self.shared is not None and key in self.shared)

    def get(self, key: str) -> GenerationResponse:
        """The response for ``key`` (after :meth:`adopt`, always from the run's own file)."""
        if self.shared is not None and key in self.shared and not self._own_has(key, self.shared.get(key)):
            return self.shared.get(key)
        return self.own.get(key)

    def adopt(self, keys: Iterable[str]) -> int:
        """Copy the responses of ``keys`` found only in the shared file into the run's own, in one append.

        Returns how many were copied: the run's folder then holds every response its record shows.
        """
        if self.shared is None:
            return 0
        shared = self.shared
        found = [key for key in dict.fromkeys(keys) if key in shared and not self._own_has(key, shared.get(key))]
        self.own.add((key, shared.get(key)) for key in found)
        return len(found)

    def _own_has(self, key: str, other: GenerationResponse) -> bool:
        """Whether the run's own file holds ``key`` as fully as ``other`` does (with its trace, if it has one)."""
        return key in self.own and (self.own.get(key).trace is not None or other.trace is None)

    def traced(self, key: str) -> bool:
        """Whether ``key`` has a response that records what the defense did (generated behind one since traces)."""
        return key in self and self.get(key).trace is not None

    def known(self, keys: Iterable[str]) -> int:
        """How many of ``keys`` have a response."""
        return sum(key in self for key in set(keys))

    def add(self, items: Iterable[tuple[str, GenerationResponse]]) -> None:
        """Keep new responses in the run's own file, then in the shared one."""
        batch = list(items)
        self.own.add(batch)
        if self.shared is not None:
            self.shared.add(batch)
