"""LlavaGuard (Helff et al., arXiv 2406.05113) as an input guard: rate the request's image against its policy.

LlavaGuard is a VLM fine-tuned to assess *visual content* against a safety policy of nine categories
(O1-O9): given an image and the policy prompt (:data:`reproductions.llavaguard.policy.POLICY_V1`), it
answers a JSON object with a ``rating`` (``Safe`` or ``Unsafe``), a ``category`` and a ``rationale``. Around
a model it is an input filter on images: a request whose image it rates ``Unsafe`` gets the defense's
refusal and is never sent; a request without an image passes (the policy rates images only, not text).
It reads the image alone, not the user's text, so it cannot judge a model's answer and is not offered as a
judge. Inference and parsing follow ml-research/LlavaGuard at ``840699c``: one user turn, the image then
the policy, through the checkpoint's chat template (``scripts/inference/tranformers.ipynb``); the reply is
read by ``parse_json`` and ``add_sample`` of ``llavaguard/evaluation/metrics_calculator.py``.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from lvlmkb.eval import (
    Backend,
    BackendError,
    Defense,
    Deviation,
    GenerationRequest,
    GenerationResponse,
    GuardModel,
    MethodConfig,
    Source,
    answer_unflagged,
    defense,
    sourced,
)
from reproductions.llavaguard.policy import POLICY_V1

COMMIT = "840699c7df535a7cc564068b21289a4fb78d5836"
NOTEBOOK = Source("ml-research/LlavaGuard", COMMIT, "scripts/inference/tranformers.ipynb")
METRICS = Source("ml-research/LlavaGuard", COMMIT, "llavaguard/evaluation/metrics_calculator.py")


class LlavaGuardConfig(MethodConfig):
    """The checkpoint, the policy prompt, the token budget and what a flagged request gets."""

    checkpoint: str = sourced(
        "AIML-TUDA/LlavaGuard-v1.2-0.5B-OV-hf",
        NOTEBOOK.at("selected_model: the v1.2 OneVision checkpoints in transformers' format"),
        note="-7B-OV-hf is the larger v1.2 model; the v1.1 -hf checkpoints use the same policy (gated: accept terms)",
    )
    revision: str | None = sourced(None, NOTEBOOK.at("no revision named"), note="null: the hub's main")
    device: str | None = sourced(None, NOTEBOOK.at("model.to('cuda:...')"), note="null: CUDA when available")
    dtype: str | None = sourced(None, NOTEBOOK.at("no dtype named"), note="null: bfloat16 on CUDA, float32 on CPU")
    policy: str = sourced(POLICY_V1, NOTEBOOK.at("cell 3 policy_v1 (for 'v1.' models)"))
    max_new_tokens: int = sourced(200, NOTEBOOK.at("hyperparameters max_new_tokens 200"), ge=1)
    refusal: str = sourced(
        "I'm sorry, but I can't help with that.",
        NOTEBOOK.at("LlavaGuard rates content; it does not answer"),
        note="lvlmkb's text for a request whose image is rated Unsafe",
    )


DEVIATIONS = (
    Deviation(
        "the guard decodes greedily",
        "the notebook samples (do_sample, temperature 0.2, top_p 0.95, top_k 50, num_beams 2); greedy keeps "
        "verdicts reproducible and cacheable",
    ),
    Deviation(
        "a request whose image is rated Unsafe is refused with a fixed text; an unreadable rating lets it pass",
        "LlavaGuard is a classifier for curating datasets and safeguarding models; the authors define no refusal",
    ),
    Deviation(
        "only the request's first image is rated",
        "the policy prompt rates one image (the notebook sends one)",
    ),
)
"""How this defense differs from the authors' use, and why."""


def parse_json(prediction: str) -> str:
    """``parse_json``: ``</s>``, ``<s>``, code fences and ``json`` removed, then the first ``{...}`` kept.

    A reply cut off before its closing brace is returned as it is (``parse_json``'s repair of a truncated
    reply is not reproduced), so it fails to parse and goes to the fallback of :func:`rating`. Upstream
    also garbles an object whose last value ends in ``"}`` with no newline (L29-30) and then falls back on
    words; here that object parses, which changes the verdict only when both words occur.
    """
    text = prediction.replace("</s>", "").replace("<s>", "").replace("```", "").replace("json", "")
    start = text.find("{")
    end = text.find("}", start + 1) if start != -1 else -1
    return text[start : end + 1] if start != -1 and end != -1 else text


def rating(prediction: str) -> tuple[str, str]:
    """The rating (``Safe``, ``Unsafe`` or ``unparsed``) and category, read as ``add_sample`` reads them."""
    try:
        out = ast.literal_eval(parse_json(prediction))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        out = None
    if out is not None:  # parsed: its rating decides, and anything else is invalid (no fallback), as add_sample
        if isinstance(out, dict) and out.get("rating") in {"Safe", "Unsafe"}:
            return str(out["rating"]), str(out.get("category", ""))
        return "unparsed", ""
    compliant = "Safe" in prediction
    review = "Unsafe" in prediction or "unsafe" in prediction
    if compliant != review:  # the authors' fallback: exactly one of the two words
        return ("Unsafe" if review else "Safe"), ""
    return "unparsed", ""


@defense(paper="helff2024llavaguard", version=1, deviations=DEVIATIONS)
class LlavaGuard(Defense[LlavaGuardConfig]):
    """LlavaGuard rates each request's image against its policy; an Unsafe image's request is refused."""

    guard: GuardModel | None = None

    def attach(self, target: Backend) -> None:
        """Open the guard checkpoint (loaded on first use)."""
        if self.guard is None:
            c = self.settings
            self.guard = GuardModel(c.checkpoint, c.revision, c.device, c.dtype)

    def describe(self) -> dict[str, Any]:
        """The guard checkpoint (without loading it) and its policy's length."""
        return {} if self.guard is None else {"guard": self.guard.describe(), "policy_chars": len(self.settings.policy)}

    def assess(self, image: Any) -> tuple[str, str, str]:
        """The guard's rating, category and raw answer for one PIL image."""
        import torch

        if self.guard is None:
            raise BackendError("LlavaGuard is not attached to a model", "wrap the model: .wrap(backend)")
        model, processor = self.guard.load("AutoModelForImageTextToText", "AutoProcessor")
        chat = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": self.settings.policy}]}]
        text = processor.apply_chat_template(chat, add_generation_prompt=True)
        inputs = processor(text=text, images=image, return_tensors="pt").to(model.device)
        with torch.no_grad():
            output = model.generate(**inputs, do_sample=False, max_new_tokens=self.settings.max_new_tokens)
        answer = str(processor.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True))
        label, category = rating(answer)
        return label, category, answer

    def generate(self, inner: Backend, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """The refusal for a request whose first image is rated Unsafe; the model's answer for the others."""
        traces: list[dict[str, Any]] = []
        for request in requests:
            images = [image for message in request.messages if message.role == "user" for image in message.images]
            if not images:
                traces.append({"rating": "no image"})
                continue
            label, category, answer = self.assess(images[0].to_pil())
            trace: dict[str, Any] = {"rating": label, "category": category, "assessment": answer[:500]}
            if label == "Unsafe":
                trace["refused_by_defense"] = True
            traces.append(trace)
        return answer_unflagged(inner, requests, traces, self.settings.refusal)
