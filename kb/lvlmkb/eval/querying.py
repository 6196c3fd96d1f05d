"""Attacks in the loop: an attack that asks the model again and again, reading a judge's verdict each time.

SI-Attack, for one, shuffles a harmful request anew on every query and stops once its judge scores an answer
4 or more, keeping the best answer seen. Such an attack subclasses :class:`QueryAttack`: it crafts attempt
``n`` of a sample (a pure function of the sample, ``n`` and its config, so a rerun asks the same requests and
resumes from the cache), names the judge whose verdicts steer it and its query budget, and may refine when to
stop and which answer is better. The engine (:mod:`lvlmkb.eval.run.query_loop`) runs the attempts in rounds,
batching every sample still going, and records each sample's attempts with the answer kept.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.base import Backend
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.judges.base import Verdict
from lvlmkb.eval.plugin import C, CraftedInput, Method, MethodConfig


@dataclass(frozen=True)
class Attempt:
    """One earlier attempt of a sample: what was sent, what came back, how the feedback judge read it."""

    prompt: str
    response: str
    verdict: Verdict


class QueryAttack(Method[C]):
    """An attack that queries the model up to :meth:`max_queries` times per sample, steered by a judge."""

    def __init__(self, config: MethodConfig | None = None) -> None:
        super().__init__(config)
        self.models: dict[str, Backend] = {}

    @abstractmethod
    def max_queries(self) -> int:
        """The most attempts one sample gets (at least 1)."""

    @abstractmethod
    def feedback_judge(self) -> str:
        """The id of the judge whose verdict on each answer decides whether to stop."""

    @abstractmethod
    def craft_attempt(self, sample: Sample, attempt: int, history: Sequence[Attempt]) -> CraftedInput:
        """The input of attempt ``attempt`` (from 0) for ``sample``, given its earlier attempts in order.

        The same arguments (and the same answers of any auxiliary model) give the same input, so a rerun asks
        the same requests.
        """

    def craft(self, sample: Sample) -> CraftedInput:
        """The first attempt (what a caller that does not loop sends)."""
        return self.craft_attempt(sample, 0, ())

    def auxiliary_models(self) -> dict[str, str]:
        """The models the attack itself asks (an attacker LLM, say), by name: their aliases (none by default)."""
        return {}

    def use_models(self, models: Mapping[str, Backend]) -> None:
        """Receive the opened auxiliary models, by the names :meth:`auxiliary_models` gave, before any attempt."""
        self.models = dict(models)

    def model(self, name: str) -> Backend:
        """The auxiliary model ``name``.

        Raises:
            UsageError: it was not opened (the attack runs outside the engine's loop).
        """
        if name not in self.models:
            raise UsageError(f"{self.id} needs its {name} model, which was not opened", "run it with lvlmkb reproduce")
        return self.models[name]

    def should_stop(self, verdict: Verdict) -> bool:
        """Whether ``verdict`` ends the sample's attempts (by default: the attack succeeded)."""
        return verdict.success

    def improves(self, verdict: Verdict, best: Verdict) -> bool:
        """Whether the answer judged ``verdict`` replaces the one kept so far (by default: a higher score)."""
        return score_of(verdict) > score_of(best)


def score_of(verdict: Verdict) -> float:
    """A verdict's score for comparison: its score, else 1 for a success and 0 otherwise (unparsed too)."""
    if verdict.score is not None:
        return verdict.score
    return 1.0 if verdict.success else 0.0
