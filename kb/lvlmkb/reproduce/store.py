"""The generation cache: an append-only JSON-lines file keyed by request hash.

Each batch is appended and fsynced before the next one starts, so a run killed at any point loses at
most the batch in flight; a torn last line is detected and cut off when the file is opened again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from lvlmkb.backends.base import GenerationResponse


class GenerationStore:
    """Request key → response text, persisted in ``generations.jsonl``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.responses: dict[str, GenerationResponse] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        raw = self.path.read_bytes()
        good_end = 0
        for line in raw.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break
            try:
                entry = json.loads(line)
                self.responses[entry["key"]] = GenerationResponse(entry["text"], tuple(entry.get("token_ids", ())))
            except (json.JSONDecodeError, KeyError, TypeError):
                break
            good_end += len(line)
        if good_end < len(raw):
            with self.path.open("r+b") as handle:
                handle.truncate(good_end)

    def __contains__(self, key: object) -> bool:
        return key in self.responses

    def get(self, key: str) -> GenerationResponse:
        """The cached response for ``key``."""
        return self.responses[key]

    def add(self, items: Iterable[tuple[str, GenerationResponse]]) -> None:
        """Append responses durably (write, flush, fsync) and remember them."""
        lines = []
        for key, response in items:
            if key in self.responses:
                continue
            self.responses[key] = response
            entry = {"key": key, "text": response.text, "token_ids": list(response.token_ids)}
            lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write("".join(lines))
            handle.flush()
            os.fsync(handle.fileno())

    def clear(self) -> None:
        """Forget everything (for ``--fresh``)."""
        self.responses.clear()
        self.path.unlink(missing_ok=True)
