"""The shared shell of a defended backend: it holds the inner backend and describes both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lvlmkb.eval.backends.base import Backend, GenerationRequest, GenerationResponse
from lvlmkb.eval.plugin import Defense


class DefendedBackend:
    """Base of every backend a :class:`Defense` returns from ``wrap``; subclasses implement ``generate``."""

    def __init__(self, inner: Backend, defense: Defense) -> None:
        self.inner = inner
        self.defense = defense
        self.name = f"{inner.name}+{defense.id}"

    def describe(self) -> dict[str, Any]:
        """The inner backend's description and the defense that wraps it."""
        return {"defense": self.defense.id, "defense_version": self.defense.version, "inner": self.inner.describe()}

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """Answer through the defense; one response per request, in order."""
        return self.inner.generate(requests)
