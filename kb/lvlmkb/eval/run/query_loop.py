"""The engine of attacks in the loop (:class:`lvlmkb.eval.querying.QueryAttack`): attempts in rounds.

Round ``n`` crafts attempt ``n`` of every sample still going, generates what the cache lacks in one batched
pass, and has the attack's feedback judge read each answer; a sample stops when the attack says so or its
query budget is spent. Each sample keeps the attempt the attack prefers (the first of the best), and every
attempt is recorded. Crafting is deterministic, so a rerun asks the same requests and resumes from the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lvlmkb.eval.backends.base import GenerationRequest, GenerationSettings
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.judges.base import Judge, Verdict
from lvlmkb.eval.plugin import CraftedInput
from lvlmkb.eval.querying import Attempt, QueryAttack
from lvlmkb.eval.run.records import QueryRecord, VerdictRecord


@dataclass
class _Kept:
    """What one sample keeps while its attempts run: the preferred attempt and the log of all of them."""

    crafted: CraftedInput
    request: GenerationRequest
    verdict: Verdict
    attempt: int
    log: list[QueryRecord] = field(default_factory=list)


@dataclass(frozen=True)
class LoopOutcome:
    """Per sample, in order: the kept input and request, its attempts, and the feedback judge's verdict."""

    crafted: list[CraftedInput]
    requests: list[GenerationRequest]
    queries: list[list[QueryRecord]]
    verdicts: list[VerdictRecord]


@dataclass(frozen=True)
class LoopIO:
    """How the loop reaches the model: generate (and cache) the missing requests, read a cached answer."""

    generate: Callable[[list[GenerationRequest]], None]
    answer: Callable[[GenerationRequest], str]
    key: Callable[[GenerationRequest], str]
    progress: Callable[[int, int], None] | None = None


def run_loop(
    attack: QueryAttack, samples: Sequence[Sample], judge: Judge, settings: GenerationSettings, io: LoopIO
) -> LoopOutcome:
    """Run ``attack``'s attempts over ``samples``, judged by ``judge``, until each stops or its budget is spent."""
    kept: list[_Kept | None] = [None] * len(samples)
    history: list[list[Attempt]] = [[] for _ in samples]
    going = list(range(len(samples)))
    for attempt in range(attack.max_queries()):
        if not going:
            break
        crafted = {i: attack.craft_attempt(samples[i], attempt, tuple(history[i])) for i in going}
        requests = {i: c.request(settings) for i, c in crafted.items()}
        io.generate(list(requests.values()))
        still = []
        for i in going:
            answer = io.answer(requests[i])
            verdict = judge.judge(samples[i], crafted[i].prompt, answer)
            history[i].append(Attempt(crafted[i].prompt, answer, verdict))
            kept[i] = _keep(attack, kept[i], crafted[i], requests[i], verdict, attempt, io.key(requests[i]))
            if not attack.should_stop(verdict):
                still.append(i)
        going = still
        if io.progress:
            io.progress(len(samples) - len(going), len(samples))
    return _outcome([k for k in kept if k is not None])


def _keep(
    attack: QueryAttack,
    kept: _Kept | None,
    crafted: CraftedInput,
    request: GenerationRequest,
    verdict: Verdict,
    attempt: int,
    key: str,
) -> _Kept:
    """The sample's state after one more attempt: the attempt logged, and kept when the attack prefers it."""
    prompt_sha256 = hashlib.sha256(crafted.prompt.encode("utf-8")).hexdigest()
    entry = QueryRecord(
        attempt=attempt, request_key=key, prompt_sha256=prompt_sha256, label=verdict.label, score=verdict.score
    )
    if kept is None or attack.improves(verdict, kept.verdict):
        log = kept.log if kept else []
        return _Kept(crafted, request, verdict, attempt, [*log, entry])
    kept.log.append(entry)
    return kept


def _outcome(kept: list[_Kept]) -> LoopOutcome:
    queries = [[q.model_copy(update={"kept": q.attempt == k.attempt}) for q in k.log] for k in kept]
    verdicts = [
        VerdictRecord(success=k.verdict.success, label=k.verdict.label, rationale=k.verdict.rationale) for k in kept
    ]
    return LoopOutcome([k.crafted for k in kept], [k.request for k in kept], queries, verdicts)
