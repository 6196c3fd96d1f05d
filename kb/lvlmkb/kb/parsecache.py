"""Plain data of YAML files already parsed, by the SHA-256 of their bytes.

Parsing is most of what a rebuild of the compiled index costs (about 70 % at 10,000 papers): the
index keeps every file's parsed data, and the next build after an edit parses only the files whose
bytes changed. The loader still reads every file (its text serves line lookups, and its hash is
taken from the bytes actually read, so an edit during a build cannot pair new bytes with old data).
Entries are JSON text, decoded only on a hit; the reader never caches data whose mapping keys are
not all strings (JSON could not give it back unchanged).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


def content_digest(raw: bytes) -> str:
    """The SHA-256 hex digest of a file's bytes (the key of the cache and of the index's ``files`` table)."""
    return hashlib.sha256(raw).hexdigest()


@dataclass
class ParseCache:
    """Known parses (``stored``: digest to JSON text) and what the current load used (``used``)."""

    stored: dict[str, str] = field(default_factory=dict)
    used: dict[str, str] = field(default_factory=dict)
    hits: int = 0

    def get(self, digest: str) -> tuple[bool, Any]:
        """``(True, data)`` for a known digest, else ``(False, None)`` (also for an entry that is not JSON)."""
        text = self.stored.get(digest)
        if text is None:
            return False, None
        try:
            data = json.loads(text)
        except ValueError:
            return False, None
        self.used[digest] = text
        self.hits += 1
        return True, data

    def put(self, digest: str, data: Any) -> None:
        """Remember the parse of a file read now; the caller passes only data whose mapping keys are strings."""
        self.used[digest] = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
