"""Llama Guard 3 Vision (Chi et al., arXiv 2411.10414) as an input and output guardrail around the model.

Meta's card describes one classifier for both ends of a conversation: *prompt classification* of the
user's text and image, and *response classification* of the model's answer to them (PurpleLlama
``Llama-Guard3/11B-vision/MODEL_CARD.md`` L5; the README calls it "input and output guardrails"). Around a
model this is a defense: with ``check=prompt`` a flagged request is not sent and the guard's refusal is
the answer; with ``check=response`` the answer is generated and replaced by the refusal when flagged;
``both`` (the default) does both. The guard reads its own chat template (the checkpoint's, which writes
the task and the card's 13 hazard categories, S1-S13) and answers ``safe`` or ``unsafe`` with the
category codes, parsed as the ``llamaguard-3-vision`` judge parses them. The card recommends response
classification for image understanding, where a prompt's harm is often ambiguous (MODEL_CARD L243), and
supports one image per prompt (L249): only the request's first image is shown to the guard.

The card specifies a classifier, not a refusal: the text a flagged exchange gets instead is lvlmkb's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from lvlmkb.eval import (
    Backend,
    BackendError,
    Defense,
    Deviation,
    GenerationRequest,
    GenerationResponse,
    LlamaGuardVision,
    MethodConfig,
    Source,
    Verdict,
    answer_unflagged,
    defense,
    sourced,
)

CARD = Source(
    "meta-llama/PurpleLlama", "fb5b398ab0c5c437ab233331b0d55d4d8faed590", "Llama-Guard3/11B-vision/MODEL_CARD.md"
)
README = CARD.at("", file="Llama-Guard3/11B-vision/README.md")


class LlamaGuardConfig(MethodConfig):
    """Which end of the exchange the guard checks, its checkpoint, and what a flagged exchange gets."""

    check: Literal["prompt", "response", "both"] = sourced(
        "both",
        README.at("L3: input and output guardrails"),
        note="MODEL_CARD L243 recommends response classification for image understanding: --defense-set check=response",
    )
    checkpoint: str = sourced(
        "meta-llama/Llama-Guard-3-11B-Vision",
        CARD.at("L5: Llama Guard 3 Vision, a fine-tuned Llama-3.2-11B"),
        note="the card's model on the Hugging Face hub (gated: accept its licence); a local folder works too",
    )
    revision: str | None = sourced(None, CARD.at("no revision named"), note="null: the hub's main")
    device: str | None = sourced(None, CARD.at("no device named"), note="null: CUDA when available, else CPU")
    dtype: str | None = sourced(None, CARD.at("no dtype named"), note="null: bfloat16 on CUDA, float32 on CPU")
    refusal: str = sourced(
        "I'm sorry, but I can't help with that.",
        CARD.at("the card specifies classification only, no refusal text"),
        note="lvlmkb's text for a flagged prompt or answer",
    )


DEVIATIONS = (
    Deviation(
        "a flagged prompt or answer is replaced by a fixed refusal",
        "the card describes a classifier and leaves what a deployment does with its verdict open",
    ),
    Deviation(
        "the guard decodes greedily, at most 20 tokens ('unsafe' and a line of category codes)",
        "the card gives no decoding settings; its output is one or two short lines",
    ),
    Deviation(
        "an answer the guard's output cannot be parsed as ('unparsed') is let through",
        "the card defines only 'safe' and 'unsafe'; refusing on an unreadable guard output would count the "
        "guard's failure as the model's safety",
    ),
    Deviation(
        "only the request's first image is shown to the guard",
        "the card: the model only supports one image at the moment (MODEL_CARD L249)",
    ),
)
"""How this defense differs from the card's description, and why."""


@defense(paper="chi2024llama", version=1, deviations=DEVIATIONS)
class LlamaGuard3Vision(Defense[LlamaGuardConfig]):
    """Llama Guard 3 Vision checks the prompt before the model and the answer after it, refusing when flagged."""

    guard: LlamaGuardVision | None = None

    def attach(self, target: Backend) -> None:
        """Open the guard (it loads on first use)."""
        if self.guard is None:
            c = self.settings
            self.guard = LlamaGuardVision.open(c.checkpoint, c.revision, c.device, c.dtype)

    def describe(self) -> dict[str, Any]:
        """The guard's checkpoint, template hash (once loaded), decoding and parsing."""
        return {} if self.guard is None else {"guard": self.guard.describe()}

    def generate(self, inner: Backend, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """One response per request: the refusal for a flagged prompt, else the answer (refused when flagged).

        The unflagged prompts go to the model in one batch. The trace holds each check's label and category
        codes, and ``refused_by_defense`` when the answer is the guard's refusal.
        """
        if self.guard is None:
            raise BackendError("Llama Guard 3 Vision is not attached to a model", "wrap the model: .wrap(backend)")
        c = self.settings
        traces: list[dict[str, Any]] = [{} for _ in requests]
        for trace, request in zip(traces, requests, strict=True):
            if c.check in {"prompt", "both"}:
                verdict = self._check(request, None)
                trace["prompt_check"] = {"label": verdict.label, "categories": verdict.rationale or ""}
                if verdict.success:
                    trace["refused_by_defense"] = True
        out = answer_unflagged(inner, requests, traces, c.refusal)
        if c.check == "prompt":
            return out
        for index, (request, answer) in enumerate(zip(requests, out, strict=True)):
            trace = answer.trace if answer.trace is not None else {}  # answer_unflagged gives each its own dict
            if trace.get("refused_by_defense"):
                continue
            verdict = self._check(request, answer.text)
            trace["response_check"] = {"label": verdict.label, "categories": verdict.rationale or ""}
            if verdict.success:
                trace.update(refused_by_defense=True, original_answer=answer.text)
                out[index] = GenerationResponse(c.refusal, (), trace)
        return out

    def _check(self, request: GenerationRequest, answer: str | None) -> Verdict:
        """The guard's verdict on the request's last user turn (with its first image) and, if given, the answer."""
        if self.guard is None:
            raise BackendError("Llama Guard 3 Vision is not attached to a model", "wrap the model: .wrap(backend)")
        user = next((m for m in reversed(request.messages) if m.role == "user"), None)
        if user is None:
            raise BackendError("the request has no user turn for the guard to check", "send a user turn")
        image = user.images[0].to_pil() if user.images else None
        return self.guard.classify(user.text, image, answer)
