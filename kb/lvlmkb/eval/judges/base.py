"""The judge contract and registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from lvlmkb.errors import UsageError
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.overrides import validation_problems


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
    """Judge factories by id; a factory receives options such as the backend of an LLM judge.

    A judge may declare a settings model (``--judge-set KEY=VALUE``): a pydantic model with ``extra="forbid"``
    whose validated values reach its factory with the options.
    """

    factories: dict[str, JudgeFactory] = field(default_factory=dict)
    settings: dict[str, type[BaseModel]] = field(default_factory=dict)
    asks_a_model: set[str] = field(default_factory=set)

    def register(
        self,
        judge_id: str,
        factory: JudgeFactory,
        settings: type[BaseModel] | None = None,
        *,
        needs_model: bool = False,
    ) -> None:
        """Add a judge id, with the model of the settings it takes (none: it takes none).

        ``needs_model``: the judge asks a model given with ``--judge-model`` (an LLM judge).
        """
        self.factories[judge_id] = factory
        if settings is not None:
            self.settings[judge_id] = settings
        if needs_model:
            self.asks_a_model.add(judge_id)

    def needs_model(self, judge_id: str) -> bool:
        """Whether ``judge_id`` asks a model that ``--judge-model`` names."""
        return judge_id in self.asks_a_model

    def settings_keys(self, judge_id: str) -> list[str]:
        """The ``--judge-set`` keys ``judge_id`` takes."""
        model = self.settings.get(judge_id)
        return sorted(model.model_fields) if model is not None else []

    def split_settings(
        self, judge_ids: list[str] | tuple[str, ...], values: dict[str, Any]
    ) -> dict[str, dict[str, Any]]:
        """Each judge's share of the ``--judge-set`` values, validated: a key goes to every judge that takes it.

        Raises:
            UsageError: a key that none of the judges takes, or a value a judge refuses.
        """
        keys = {judge_id: self.settings_keys(judge_id) for judge_id in judge_ids}
        for key in values:
            if not any(key in taken for taken in keys.values()):
                offered = "; ".join(f"{j}: {', '.join(taken)}" for j, taken in keys.items() if taken)
                raise UsageError(f"no chosen judge takes --judge-set {key}", offered or "these judges take no settings")
        shares: dict[str, dict[str, Any]] = {}
        for judge_id in judge_ids:
            mine = {k: v for k, v in values.items() if k in keys[judge_id]}
            if not mine:
                continue
            try:
                checked = self.settings[judge_id](**mine)
            except ValidationError as err:
                problems = validation_problems(err)
                raise UsageError(f"--judge-set for {judge_id}: {problems}", "see `lvlmkb judges`") from err
            shares[judge_id] = checked.model_dump(exclude_unset=True)
        return shares

    def create(
        self, judge_id: str, options: dict[str, Any] | None = None, settings: dict[str, Any] | None = None
    ) -> Judge:
        """Instantiate ``judge_id`` (with its validated settings) or raise with the known ids."""
        factory = self.factories.get(judge_id)
        if factory is None:
            from lvlmkb.eval.registry import unknown

            raise unknown("judge", judge_id, self.factories, "lvlmkb judges")
        return factory({**(options or {}), **(settings or {})})

    def ids(self) -> list[str]:
        """All registered ids, sorted."""
        return sorted(self.factories)
