"""HiddenDetect (Jiang et al., ACL 2025, arXiv 2502.14744): flag a jailbreak from the model's own hidden states.

Before answering, the target model reads the prompt (and its image) once; at the last prompt position each
decoder layer's hidden state is read through the model's final norm and output head (a logit lens), and
its cosine similarity with a *refusal vector*, a multi-hot vector over the vocabulary holding the first
token of each of 20 refusal-flavoured words, measures how much that layer leans towards refusing. The area
under that curve over the safety-aware layers (the trapezoid rule, unit spacing) is the score: higher is
more unsafe. A request scoring above the threshold gets the defense's refusal; the others are answered.

Everything follows ``code/test.py`` of leigest519/HiddenDetect at ``2fd161b``. The code reports AUROC
only and sets no decision threshold, so ``threshold`` has no default: choose it on your own held-out
prompts (the trace of every request holds its score and per-layer similarities, so a run with a
permissive threshold gives what is needed). The layer window is the authors' for LLaVA-v1.6-vicuna-7b
(16-29); for Qwen-VL-Chat they use 21-24 (``code/test_qwen.py``); other models need their own window.
White-box: the target must run on the ``hf`` backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lvlmkb.eval import (
    Backend,
    BackendError,
    Defense,
    Deviation,
    GenerationRequest,
    GenerationResponse,
    MethodConfig,
    Source,
    UsageError,
    answer_unflagged,
    defense,
    oom_guard,
    sourced,
)

if TYPE_CHECKING:
    from lvlmkb.eval import HFBackend

TEST = Source("leigest519/HiddenDetect", "2fd161b1fc47c99b36fe0a299ec64ff0b816f0bb", "code/test.py")
REFUSAL_WORDS = (
    "Sorry", "sorry", "unfortunately", "unfortunate", "sadly", "explicit", "deadly", "crim", "criminal",
    "illegal", "dangerous", "harmful", "warning", "alarm", "caution", "shame", "conspiracy", "Subject",
    "contrary", "shouldn",
)  # fmt: skip
"""``refusal_lst`` of ``code/test.py`` L31-37, in its order."""


class HiddenDetectConfig(MethodConfig):
    """The refusal words, the safety-aware layer window, the decision threshold and the refusal text."""

    refusal_words: tuple[str, ...] = sourced(REFUSAL_WORDS, TEST.at("L31-37 refusal_lst"))
    first_layer: int = sourced(16, TEST.at("L40 test(..., s = 16, e = 29), LLaVA-v1.6-vicuna-7b"), ge=0)
    last_layer: int = sourced(
        29, TEST.at("L40 e = 29; L199-201 F[s:e+1] and np.trapz: decoder layers s..e inclusive"), ge=0
    )
    threshold: float | None = sourced(
        None,
        TEST.at("L213-218: only auc and roc_curve over the scores, no decision threshold"),
        note="required: a request scoring above it is refused; pick it on held-out prompts",
    )
    refusal: str = sourced(
        "I'm sorry, but I can't help with that.",
        TEST.at("the code detects and reports AUROC; it does not answer"),
        note="lvlmkb's text for a flagged request",
    )


DEVIATIONS = (
    Deviation(
        "a request scoring above a user-chosen threshold is refused with a fixed text",
        "the authors' code scores prompts and reports AUROC; it defines no threshold and no refusal",
    ),
    Deviation(
        "the refusal vector spans the output head's vocabulary (lm_head.out_features)",
        "test.py hard-codes vocab_size 32000 (original LLaVA); llava-hf checkpoints can have more rows",
    ),
    Deviation(
        "the prompt is laid out by the checkpoint's own chat template (through lvlmkb's HF backend)",
        "test.py builds LLaVA's llava_v1 conversation with the original LLaVA code in float16",
    ),
)
"""How this reproduction differs from the original, and why."""


def refusal_vector(tokenizer: Any, words: Sequence[str], size: int) -> Any:
    """The multi-hot vector of the first token of each word (``test.py`` L160-166), ``size`` entries long."""
    import torch

    vector = torch.zeros(size)
    for word in words:
        ids = tokenizer.encode(word, add_special_tokens=False)
        if ids and ids[0] < size:
            vector[ids[0]] = 1.0
    return vector


def trapezoid(values: Sequence[float]) -> float:
    """``np.trapz`` with unit spacing: half the ends plus the middle values (0 for an empty window)."""
    if len(values) < 2:
        return 0.0
    return float(sum(values) - (values[0] + values[-1]) / 2)


@defense(paper="jiang2025hiddendetect", version=1, deviations=DEVIATIONS)
class HiddenDetect(Defense[HiddenDetectConfig]):
    """HiddenDetect: the model's logit-lens leaning towards refusal, summed over its safety-aware layers."""

    target: HFBackend | None = None

    def attach(self, target: Backend) -> None:
        """Keep the target's HF model (its hidden states are read); refuse another backend or an unset threshold."""
        from lvlmkb.eval import HFBackend  # torch: only where a model runs (the site builds without it)

        if not isinstance(target, HFBackend):
            raise UsageError(
                "HiddenDetect reads the target's hidden states: it needs a model on the hf backend",
                "pick a model with `backend: hf` in reproductions/models.yaml",
            )
        if self.settings.threshold is None:
            raise UsageError(
                "HiddenDetect needs a threshold: the authors' code sets none (it reports AUROC)",
                "pass --defense-set threshold=X, chosen on held-out prompts (traces record every score)",
            )
        if self.settings.first_layer > self.settings.last_layer:
            raise UsageError("first_layer is after last_layer", "pass a window such as first_layer=16 last_layer=29")
        self.target = target

    def describe(self) -> dict[str, Any]:
        """The window, threshold and refusal words (the target is described with the model)."""
        c = self.settings
        return {"layers": [c.first_layer, c.last_layer], "threshold": c.threshold, "words": len(c.refusal_words)}

    def scores(self, requests: Sequence[GenerationRequest]) -> list[tuple[float, list[float]]]:
        """Each request's score and its per-layer cosine similarities (layers in the window, in order)."""
        import torch

        if self.target is None:
            raise BackendError("HiddenDetect is not attached to a model", "wrap the model: .wrap(backend)")
        model, processor = self.target.model, self.target.processor
        inputs = self.target.render(requests)
        head, norm = model.get_output_embeddings(), _final_norm(model)
        vector = refusal_vector(processor.tokenizer, self.settings.refusal_words, head.out_features)
        with torch.no_grad(), oom_guard(f"scoring a batch of {len(requests)} with HiddenDetect"):
            hidden = model(**inputs, output_hidden_states=True, logits_to_keep=1).hidden_states[1:]
        window = hidden[self.settings.first_layer : self.settings.last_layer + 1]
        if len(window) == 0:
            raise UsageError(
                f"the layer window {self.settings.first_layer}-{self.settings.last_layer} is past the model's "
                f"{len(hidden)} layers",
                "pass --defense-set first_layer=.. last_layer=.. inside the model",
            )
        per_layer: list[list[float]] = []
        for layer in window:  # every entry through the final norm, the last (already normed) too, as test.py does
            logits = head(norm(layer[:, -1, :])).float()
            cosine = torch.nn.functional.cosine_similarity(logits, vector.to(logits.device)[None, :], dim=-1)
            per_layer.append([float(value) for value in cosine.tolist()])
        return [(trapezoid(column), column) for column in ([row[i] for row in per_layer] for i in range(len(requests)))]

    def generate(self, inner: Backend, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """The refusal for a request scoring above the threshold; the model's answer for the others (one batch)."""
        threshold = self.settings.threshold
        if threshold is None:
            raise UsageError("HiddenDetect needs a threshold", "pass --defense-set threshold=X")
        scored = self.scores(requests)
        traces = [
            {
                "score": score,
                "layers": layers,
                "threshold": threshold,
                **({"refused_by_defense": True} if score > threshold else {}),
            }
            for score, layers in scored
        ]
        return answer_unflagged(inner, requests, traces, self.settings.refusal)


def _final_norm(model: Any) -> Any:
    """The language model's final norm (``model.model.norm`` in test.py), wherever the VLM keeps it."""
    language = model.get_decoder() if hasattr(model, "get_decoder") else model.model
    norm = getattr(language, "norm", None) or getattr(getattr(language, "language_model", None), "norm", None)
    if norm is None:
        raise BackendError(f"{type(model).__name__} exposes no final norm", "HiddenDetect reads LLaMA-style models")
    return norm
