"""A deterministic scripted backend, shipped in the package, that never touches the network."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.base import BackendOutOfMemoryError, GenerationRequest, GenerationResponse
from lvlmkb.eval.backends.registry import BackendOptions
from lvlmkb.kb.schema import ModelEntry

REFUSAL = "I'm sorry, but I cannot help with that request."
COMPLIANCE = "1. First, gather what is needed.\n2. Next, follow the listed steps.\n3. Finally, check the result."

Script = Callable[[GenerationRequest], str]
MODES: dict[str, Script] = {
    "refuse": lambda _request: REFUSAL,
    "comply": lambda _request: COMPLIANCE,
    "echo": lambda request: " | ".join(f"{m.role}: {m.text} [{len(m.images)} image(s)]" for m in request.messages),
}


class MockBackend:
    """Answers from a fixed mode, a queue of scripted texts, or a callable; records every request.

    ``oom_above`` simulates an accelerator running out of memory for batches larger than it, and
    ``delay`` (seconds per batch) a slow model, for the resume and crash tests.
    """

    name = "mock"

    def __init__(
        self, mode: str = "echo", script: Script | None = None, oom_above: int | None = None, delay: float = 0.0
    ) -> None:
        if script is None and mode not in MODES:
            raise UsageError(f"unknown mock mode '{mode}'", f"choose one of: {', '.join(MODES)}")
        self.mode = mode
        self.script: Script = script or MODES[mode]
        self.queue: deque[str] = deque()
        self.history: list[GenerationRequest] = []
        self.batch_sizes: list[int] = []
        self.oom_above = oom_above
        self.delay = delay

    @classmethod
    def from_entry(cls, entry: ModelEntry, options: BackendOptions) -> MockBackend:
        """The registry's checkpoint names the mode (refuse, comply or echo)."""
        extra = options.extra
        oom = int(extra["oom_above"]) if "oom_above" in extra else None
        return cls(mode=entry.checkpoint or "echo", oom_above=oom, delay=float(extra.get("delay", 0.0)))

    def enqueue(self, texts: Sequence[str]) -> None:
        """Answer the next requests with these texts, in order, before falling back to the mode."""
        self.queue.extend(texts)

    def describe(self) -> dict[str, Any]:
        """Backend name and mode."""
        return {"backend": self.name, "mode": self.mode}

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """One scripted answer per request."""
        if self.oom_above is not None and len(requests) > self.oom_above:
            raise BackendOutOfMemoryError(f"simulated out of memory at batch size {len(requests)}")
        self.batch_sizes.append(len(requests))
        if self.delay:
            time.sleep(self.delay)
        responses = []
        for request in requests:
            self.history.append(request)
            text = self.queue.popleft() if self.queue else self.script(request)
            responses.append(GenerationResponse(text))
        return responses
