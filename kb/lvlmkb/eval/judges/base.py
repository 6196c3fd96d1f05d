"""The judge contract and registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from lvlmkb.errors import NotFoundError
from lvlmkb.eval.datasets.base import Sample


@dataclass(frozen=True)
class Verdict:
    """A judge's decision on one response: did the attack succeed (the model complied unsafely)?"""

    success: bool
    label: str
    score: float | None = None
    rationale: str = ""


class Judge(Protocol):
    """Anything that turns (sample, prompt, response) into a verdict."""

    id: str

    def describe(self) -> dict[str, Any]:
        """Identity of the judge for the run record (version, list hash or template hash, model)."""
        ...

    def judge(self, sample: Sample, prompt: str, response: str) -> Verdict:
        """Judge one response."""
        ...


JudgeFactory = Callable[[dict[str, Any]], Judge]


@dataclass
class JudgeRegistry:
    """Judge factories by id; a factory receives options such as the backend of an LLM judge."""

    factories: dict[str, JudgeFactory] = field(default_factory=dict)

    def register(self, judge_id: str, factory: JudgeFactory) -> None:
        """Add a judge id."""
        self.factories[judge_id] = factory

    def create(self, judge_id: str, options: dict[str, Any] | None = None) -> Judge:
        """Instantiate ``judge_id`` or raise with the known ids."""
        factory = self.factories.get(judge_id)
        if factory is None:
            raise NotFoundError(f"no judge '{judge_id}'", f"known judges: {', '.join(sorted(self.factories))}")
        return factory(options or {})

    def ids(self) -> list[str]:
        """All registered ids, sorted."""
        return sorted(self.factories)
