"""The engine's side of a defense: the wrapper that makes a defended model look like any backend.

A defense is middleware: its ``generate(inner, requests)`` answers a batch by asking ``inner`` as often as it
needs. The engine owns the wrapper around it: it describes both, counts every request the defense sends
to the model (its own checks included), checks that one response comes back per request, and makes every
response carry a trace naming the defense, so ``samples.jsonl`` shows what the defense did to each sample
(a defense's own refusal is marked ``refused_by_defense``; a model's refusal is not).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lvlmkb.eval.backends.base import Backend, BackendError, GenerationRequest, GenerationResponse
from lvlmkb.eval.plugin import Defense


class CountedBackend:
    """The model as a defense sees it: the target backend, with every call and request counted."""

    def __init__(self, target: Backend) -> None:
        self.target = target
        self.name = target.name
        self.calls = 0
        self.requests = 0

    def describe(self) -> dict[str, Any]:
        """The target's own description."""
        return self.target.describe()

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """Ask the target, counting the call and its requests."""
        self.calls += 1
        self.requests += len(requests)
        return self.target.generate(requests)


class DefendedBackend:
    """A backend that answers through ``defense``, asking ``inner`` (counted) as the defense decides."""

    def __init__(self, inner: Backend, defense: Defense) -> None:
        defense.attach(inner)
        self.inner = CountedBackend(inner)
        self.defense = defense
        self.name = f"{inner.name}+{defense.id}"

    def describe(self) -> dict[str, Any]:
        """The inner backend's description, the defense that wraps it and the facts it depends on (a pool's hash)."""
        identity = {"defense": self.defense.id, "defense_version": self.defense.version}
        return {**identity, **self.defense.describe(), "inner": self.inner.describe()}

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """Answer through the defense; one response per request, in order, each with the defense's trace."""
        responses = self.defense.generate(self.inner, requests)
        if len(responses) != len(requests):
            raise BackendError(
                f"defense '{self.defense.id}' answered {len(responses)} of {len(requests)} requests",
                "a defense returns one response per request, in order",
            )
        return [self._traced(response) for response in responses]

    def _traced(self, response: GenerationResponse) -> GenerationResponse:
        trace = {"defense": self.defense.id, "refused_by_defense": False, **(response.trace or {})}
        return GenerationResponse(response.text, response.token_ids, trace)
