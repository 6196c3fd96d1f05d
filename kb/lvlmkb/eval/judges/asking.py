"""What every judge that asks a judge model shares: its backend, alias, decoding, id and factory.

MM-SafetyBench's, SIUO's, VLSBench's and MOSSBench's judges each fill their authors' template and read the
reply their way; the rest is here: the id ``<judge>-v<version>@<alias>`` (verdicts depend on the judge
model, so it is part of the id), greedy decoding with the judge's token budget, and the registry factory
that refuses to build one without ``--judge-model``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, TypeVar

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.base import Backend, GenerationRequest, GenerationSettings
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.judges.base import Judge, JudgeFactory, Verdict


class AskingJudge(ABC):
    """A judge backed by a judge model; subclasses set :attr:`judge_id`, :attr:`version` and the token budget."""

    judge_id: ClassVar[str]
    version: ClassVar[str]
    max_new_tokens: ClassVar[int]

    def __init__(self, backend: Backend, model: str, max_new_tokens: int | None = None) -> None:
        self.backend = backend
        self.model = model
        self.settings = GenerationSettings(max_new_tokens=max_new_tokens or self.max_new_tokens)
        self.id = f"{self.judge_id}-v{self.version}@{model}"

    def model_facts(self) -> dict[str, Any]:
        """The judge's id and version, and the judge model with its backend (each judge adds its template)."""
        return {"id": self.id, "version": self.version, "model": self.model, "backend": self.backend.describe()}

    def ask(self, request: GenerationRequest) -> str:
        """The judge model's reply to one request."""
        return self.backend.generate([request])[0].text

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """What the judge is (:meth:`model_facts` plus its template hash and parsing rule)."""

    @abstractmethod
    def judge(self, sample: Sample, prompt: str, response: str) -> Verdict:
        """The verdict on one response."""


J = TypeVar("J", bound=AskingJudge)


def asking_factory(cls: type[J], what: str = "a judge model") -> JudgeFactory:
    """The registry factory of ``cls``: it needs the judge backend and model alias the run opened."""

    def create(options: dict[str, Any]) -> Judge:
        backend, model = options.get("backend"), options.get("model")
        if backend is None or model is None:
            raise UsageError(f"judge '{cls.judge_id}' needs {what}", "pass --judge-model ALIAS")
        judge: Judge = cls(backend, str(model))
        return judge

    create.__doc__ = f"Registry factory for ``{cls.judge_id}``: needs {what} (``--judge-model``)."
    return create
