"""JailGuard (Zhang et al., TOSEM 2025, arXiv 2312.10766): flag inputs whose mutated variants get divergent answers.

For a request with images, JailGuard makes N = 8 variants with the image mutator policy ``PL`` (random
rotation, Gaussian blur or random posterization; see ``mutators.py``), asks the model each
variant, cuts each answer to its first 100 characters and builds the pairwise similarity matrix of the
answers. The matrix is clipped below at 0.01, each row is normalised to a distribution, and the KL
divergence of every ordered pair of rows is taken (capped at 100). The input is an attack when the largest
divergence exceeds 0.025; otherwise it is still an attack when every answer contains at least one of the
29 refusal strings (``main_img.py``, ``utils/utils.py: update_divergence, detect_attack``). As upstream,
each answer is first normalised the way it round-trips through a response file (lines stripped,
joined by newlines; ``similarity.py: read_file_list``), and the refusal check reads the whole answer,
the similarity only its first 100 characters.

Pins: every file (``main_img.py``, ``utils/augmentations.py``, ``utils/utils.py``, ``utils/similarity.py``
and ``utils/minigpt_utils.py``, all under ``JailGuard/``) was read at the pinned commit ``419e1d3``
(reproductions.md §0), and every field cites that commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import field_validator

from lvlmkb.eval import (
    REFUSAL_LISTS,
    Backend,
    Defense,
    Deviation,
    GenerationRequest,
    GenerationResponse,
    ImageInput,
    Message,
    MethodConfig,
    Part,
    RefusalList,
    Source,
    defense,
    sourced,
)
from reproductions.jailguard import mutators

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image


REPO = "shiningrain/JailGuard"
PIN = "419e1d3d08f4d02998a11a687f925518d2d5dd0c"
MAIN = Source(REPO, PIN, "JailGuard/main_img.py")
AUG = Source(REPO, PIN, "JailGuard/utils/augmentations.py")
UTILS = Source(REPO, PIN, "JailGuard/utils/utils.py")
SIMILARITY = Source(REPO, PIN, "JailGuard/utils/similarity.py")
REFUSAL = "I'm sorry, but I cannot assist with that request."
SimilarityName = Literal["char-ngram-cosine", "spacy-en_core_web_md"]


class JailGuardConfig(MethodConfig):
    """The variant count, the image policy and its mutators' levels, the similarity and the decision rule."""

    variants: int = sourced(8, MAIN.at("--number default '8'"), ge=2)
    policy: tuple[float, float, float] = sourced(
        (0.34, 0.45, 0.21), AUG.at("policy_aug_image level='0.34-0.45-0.21', pool='RR-BL-RP'"), note="RR, BL, RP"
    )
    level_min: float = sourced(0.1, AUG.at("sample_float_level minl=0.1"))
    rotation_level: float = sourced(180.0, AUG.at("rotation_image level=180"))
    blur_level: int = sourced(5, AUG.at("blur_image level=5 -> sample_odd_level"), ge=2)
    blur_sigma: tuple[float, float] = sourced(
        (0.1, 2.0), AUG.at("blur_image: T.GaussianBlur"), note="torchvision's default sigma range"
    )
    posterize_level: int = sourced(3, AUG.at("posterize_image level=3 -> sample_int_level"), ge=2)
    posterize_p: float = sourced(0.5, AUG.at("posterize_image: T.RandomPosterize"), note="torchvision's default p")
    response_chars: int = sourced(100, MAIN.at("update_divergence(top_string=100)"), ge=1)
    similarity: SimilarityName = sourced(
        "char-ngram-cosine",
        SIMILARITY.at("get_similarity method='spacy'"),
        note="upstream: spaCy en_core_web_md; default here: a stand-in, see the deviations",
    )
    similarity_floor: float = sourced(0.01, UTILS.at("update_divergence: np.clip(sim, 0.01, None)"))
    divergence_cap: float = sourced(100.0, UTILS.at("update_divergence: np.clip(div, None, 100)"))
    threshold_image: float = sourced(0.025, MAIN.at("--threshold default=0.025"))
    refusal_list: str = sourced("gcg-advbench-29", UTILS.at("blocked_key_words"))
    refusal_min: int = sourced(1, UTILS.at("determine_blocked threshold=1"), ge=1)
    refusal_text: str = sourced(
        REFUSAL, MAIN.at("detect_attack -> print"), note="upstream only reports; lvlmkb answers this text"
    )
    seed: int = sourced(0, MAIN.at("Step1: mask input"), note="upstream uses the unseeded global NumPy/torch RNGs")

    @field_validator("refusal_list")
    @classmethod
    def _known_list(cls, value: str) -> str:
        if value not in REFUSAL_LISTS:
            raise ValueError(f"unknown refusal list '{value}' (known: {', '.join(sorted(REFUSAL_LISTS))})")
        return value

    def levels(self) -> mutators.Levels:
        """The mutators' strength parameters."""
        return mutators.Levels(
            self.level_min,
            self.rotation_level,
            self.blur_level,
            self.blur_sigma,
            self.posterize_level,
            self.posterize_p,
        )


def normalize_response(text: str) -> str:
    """An answer as upstream reads it back from its response file: every line stripped, joined by newlines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()
    return "\n".join(line.strip() for line in lines)


SIMILARITIES: dict[str, Callable[[Sequence[str]], np.ndarray]] = {
    "char-ngram-cosine": mutators.char_ngram_cosine,
    "spacy-en_core_web_md": mutators.spacy_similarity,
}


def divergence_matrix(similarity: np.ndarray, floor: float = 0.01, cap: float = 100.0) -> np.ndarray:
    """KL divergence between every ordered pair of rows of the clipped, row-normalised similarity matrix.

    Args:
        similarity: The N x N similarity matrix (diagonal included).
        floor: Similarities below it are raised to it.
        cap: Divergences above it are lowered to it.

    Returns:
        ``D[i, j] = sum(p_i * log(p_i / p_j))`` for i != j, 0 on the diagonal.
    """
    import numpy as np

    clipped = np.clip(similarity, floor, None)
    rows = clipped / clipped.sum(axis=1, keepdims=True)
    count = len(rows)
    out = np.zeros((count, count))
    for i in range(count):
        for j in range(count):
            if i != j:
                out[i, j] = np.sum(rows[i] * np.log(rows[i] / rows[j]))
    return np.clip(out, None, cap)


def refusal_counts(texts: Sequence[str], refusals: RefusalList) -> list[int]:
    """How many distinct refusal strings each text contains (``check_blocked``)."""
    strings = refusals.strings if refusals.case_sensitive else tuple(s.lower() for s in refusals.strings)
    hay = texts if refusals.case_sensitive else [t.lower() for t in texts]
    return [sum(1 for s in set(strings) if s in text) for text in hay]


@dataclass(frozen=True)
class Detection:
    """JailGuard's verdict on one input, with what it was computed from."""

    mutators: tuple[str, ...]
    responses: tuple[str, ...]
    max_divergence: float
    all_refused: bool
    flagged: bool


def detect(responses: Sequence[str], config: JailGuardConfig, mutators_used: Sequence[str] = ()) -> Detection:
    """Apply ``update_divergence`` and ``detect_attack`` to the variants' answers.

    Args:
        responses: The raw answers to the variants.
        config: The defense settings.
        mutators_used: The mutator applied to each variant, for the record.

    Returns:
        The detection, flagged when the largest divergence exceeds the threshold or every answer refuses.
    """
    texts = [normalize_response(r) for r in responses]
    all_refused = min(refusal_counts(texts, REFUSAL_LISTS[config.refusal_list])) >= config.refusal_min
    similarity = SIMILARITIES[config.similarity]([t[: config.response_chars] for t in texts])
    max_div = float(divergence_matrix(similarity, config.similarity_floor, config.divergence_cap).max())
    flagged = max_div > config.threshold_image or all_refused
    return Detection(tuple(mutators_used), tuple(texts), max_div, all_refused, flagged)


def _variant(
    request: GenerationRequest, decoded: dict[str, Image], rng: np.random.Generator, config: JailGuardConfig
) -> tuple[GenerationRequest, str]:
    used: list[str] = []
    levels = config.levels()

    def mutate(part: Part) -> Part:
        if not isinstance(part, ImageInput):
            return part
        name, image = mutators.mutate(decoded[part.sha256], rng, config.policy, levels)
        used.append(name)
        return ImageInput.from_pil(image)

    messages = tuple(Message(m.role, tuple(mutate(p) for p in m.parts)) for m in request.messages)
    return GenerationRequest(messages, request.settings), "+".join(used)


def make_variants(request: GenerationRequest, config: JailGuardConfig) -> tuple[list[GenerationRequest], list[str]]:
    """The N mutated copies of a request: every image replaced by one draw of the policy.

    The generator is seeded from ``config.seed`` and the request's own key, so a request gets the same
    variants whatever batch it arrives in.

    Args:
        request: A request with at least one image.
        config: The defense settings.

    Returns:
        The variant requests and, for each, the mutators applied (``+``-joined for several images).
    """
    import numpy as np

    rng = np.random.default_rng([config.seed, int(request.key()[:16], 16)])
    decoded = {image.sha256: image.to_pil() for m in request.messages for image in m.images}
    pairs = [_variant(request, decoded, rng, config) for _ in range(config.variants)]
    return [r for r, _ in pairs], [n for _, n in pairs]


def _has_images(request: GenerationRequest) -> bool:
    return any(m.images for m in request.messages)


DEVIATIONS = (
    Deviation(
        "similarity defaults to the cosine of character 3-gram counts instead of spaCy en_core_web_md vectors; "
        "--set similarity=spacy-en_core_web_md runs upstream's measure when spaCy and the model are installed",
        "en_core_web_md is not on PyPI (it ships from spaCy's GitHub releases) and lvlmkb adds no dependency for "
        "it; the 0.025 threshold was tuned on spaCy similarities, which are far higher for unrelated text, so "
        "with the stand-in more inputs exceed it and detection rates are not comparable to the paper",
    ),
    Deviation(
        "text-only requests pass through undetected: the text mutator policy is not reproduced",
        "its translation mutator (24 % of draws) calls an online translation service through textaugment, "
        "which cannot run offline or reproducibly; images are JailGuard's image path (main_img.py)",
    ),
    Deviation(
        "a flagged request is answered with a fixed refusal; an unflagged one with one more call on the "
        "unmutated request",
        "upstream only prints whether the input is an attack and never answers it; a defense must return a text",
    ),
    Deviation(
        "variants are answered with the run's decoding settings (greedy by default)",
        "upstream sampled MiniGPT-4 (temperature 1.0, one beam, max_new_tokens 300; minigpt_utils.py "
        "model_inference, L148-154), so its divergences include sampling noise; lvlmkb reproduce has no "
        "sampling option, only --max-new-tokens",
    ),
    Deviation(
        "one seeded NumPy generator per request makes every random draw; the transforms are re-implemented "
        "on PIL/NumPy with torchvision's defaults",
        "upstream draws from the unseeded global NumPy and torch generators; torchvision is not a dependency. "
        "Rotation and posterization are bit-exact; the blur may differ by one grey level at rounding ties",
    ),
    Deviation(
        "every image of a request is mutated (each with its own policy draw); variants are sent as PNG",
        "upstream handles one image per query and saves variants as BMP (or JPEG for JPEG inputs)",
    ),
)
"""How this reproduction differs from the original, and why."""


@defense(paper="zhang2023jailguard", version=1, deviations=DEVIATIONS)
class JailGuard(Defense[JailGuardConfig]):
    """JailGuard: mutate the image 8 times, flag divergent or uniformly refused answers, else answer as usual."""

    def describe(self) -> dict[str, Any]:
        """The similarity the divergence is measured with (and the spaCy model when it is spaCy's)."""
        info: dict[str, Any] = {"similarity": self.settings.similarity}
        if self.settings.similarity == "spacy-en_core_web_md":
            meta = mutators.spacy_model().meta
            info["spacy_model"] = f"{meta.get('name')}-{meta.get('version')}"
        return info

    def detect_all(self, inner: Backend, requests: Sequence[GenerationRequest]) -> list[Detection | None]:
        """Run detection on every request with images (one call to ``inner`` for all variants); None for others."""
        made = {i: make_variants(r, self.settings) for i, r in enumerate(requests) if _has_images(r)}
        batch = [variant for variants, _ in made.values() for variant in variants]
        answers = iter(inner.generate(batch) if batch else [])
        detections: list[Detection | None] = [None] * len(requests)
        for i, (variants, names) in made.items():
            texts = [next(answers).text for _ in variants]
            detections[i] = detect(texts, self.settings, names)
        return detections

    def detection_trace(self, detection: Detection | None) -> dict[str, Any]:
        """What JailGuard did to one request: its variants, the divergence, the threshold and the decision."""
        c = self.settings
        if detection is None:
            return {"checked": False, "attack_detected": False, "note": "no image: text requests pass undetected"}
        trace: dict[str, Any] = {
            "checked": True,
            "variants": len(detection.mutators),
            "mutators": list(detection.mutators),
            "similarity": c.similarity,
            "max_divergence": detection.max_divergence,
            "threshold": c.threshold_image,
            "all_refused": detection.all_refused,
            "attack_detected": detection.flagged,
            "refused_by_defense": detection.flagged,
        }
        if c.similarity == "spacy-en_core_web_md":
            meta = mutators.spacy_model().meta
            trace["spacy_model"] = f"{meta.get('name')}-{meta.get('version')}"
        return trace

    def generate(self, inner: Backend, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """Refuse flagged requests; answer the others (and those without images) unmutated, in one more call.

        A flagged request's answer is the configured refusal (``refused_by_defense``), not the model's.
        """
        detections = self.detect_all(inner, requests)
        passed = [i for i, d in enumerate(detections) if d is None or not d.flagged]
        answers = inner.generate([requests[i] for i in passed]) if passed else []
        out = [GenerationResponse(self.settings.refusal_text, (), self.detection_trace(d)) for d in detections]
        for i, answer in zip(passed, answers, strict=True):
            out[i] = GenerationResponse(answer.text, answer.token_ids, self.detection_trace(detections[i]))
        return out
