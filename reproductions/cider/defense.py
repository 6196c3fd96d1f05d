"""CIDER (Xu et al., Findings of EMNLP 2024, arXiv 2407.21659): refuse when denoising moves the image off the query.

For each image of the last user turn, CIDER resizes the image to 224 x 224 and saves it as a JPEG
(checkpoint 0), then denoises that resized image for t = 50, 100, ..., 350 diffusion steps (each from the
resized image, not from the previous checkpoint), saving each result as a JPEG: ``cpnum`` = 8 checkpoints in
all (``code/utils.py``, ``generate_denoised_img_diffusion``). For every checkpoint it takes the cosine
similarity between the mean-pooled token embeddings of the query (``get_input_embeddings`` on the tokenised
query) and the mean-pooled projected image features (vision tower, the configured feature layer without the
CLS token, the multimodal projector) of LLaVA-1.5-7B (``LlavaEncoder``), computed in float16 as there. With
``delta = cos - cos[0]`` the image is adversarial when ``min(delta) < tau`` and the lowest checkpoint is not
0 (``code/defender.py``, ``Defender.get_lowest_idx``); for ``tau <= 0`` that is "any denoised checkpoint
lowers the similarity by more than ``|tau|``". A flagged request is answered with a fixed refusal; the others
go to the target with the checkpoint-0 image (the resized JPEG), as ``defence`` returns it. Each response's
trace holds the similarities, the threshold, the decision and the images that were forwarded.

The denoiser is the guided-diffusion model ``256x256_diffusion_uncond.pt`` with its diffusion code (README;
``models/diffusion_denoiser/imagenet/DRM.py``, ``DiffusionRobustModel.denoise``: ``q_sample`` at step t,
then one ``p_sample`` whose ``pred_xstart`` is the result). lvlmkb does not bundle it; name one with
``--defense-set denoiser=MODULE:CALLABLE`` (or ``path/to/file.py:CALLABLE``): a callable ``(pixels, t) -> pixels`` on
float32 CPU tensors of shape (N, 3, 224, 224) in [-1, 1], which moves them to its own device. A wrapper
around upstream's class is a few lines, e.g. a module-level function that builds ``DiffusionRobustModel``
once and returns ``model.denoise(pixels, t)`` (its ViT classifier is not used for denoising). Without a
denoiser CIDER refuses to run.

Pins: all five files (``README.md``, ``code/models/diffusion_denoiser/imagenet/DRM.py``, ``code/defender.py``,
``code/utils.py`` and ``code/main.py``) were read at the pinned commit ``3c08d7e``, and every field cites
that commit. The encoder's Hugging Face revision is not pinned.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lvlmkb.eval import (
    Backend,
    BackendError,
    Defense,
    Deviation,
    GenerationRequest,
    GenerationResponse,
    ImageInput,
    Message,
    MethodConfig,
    Part,
    Source,
    UsageError,
    defense,
    sourced,
)

if TYPE_CHECKING:
    import numpy as np
    import torch
    from PIL.Image import Image

    from lvlmkb.eval import HFBackend

REPO = "PandragonXIII/CIDER"
PIN = "3c08d7e2d52e27b47d1e428a030e8ffda5efae3e"
README = Source(REPO, PIN, "README.md")
DRM = Source(REPO, PIN, "code/models/diffusion_denoiser/imagenet/DRM.py")
UTILS = Source(REPO, PIN, "code/utils.py")
DEFENDER = Source(REPO, PIN, "code/defender.py")
MAIN = Source(REPO, PIN, "code/main.py")
REFUSAL = "I'm sorry, but I can not assist."

Denoiser = Callable[["torch.Tensor", int], "torch.Tensor"]


class CIDERConfig(MethodConfig):
    """The denoiser, the encoder, the checkpoint schedule, the threshold and the refusal."""

    denoiser: str | None = sourced(
        None,
        MAIN.at("--denoiser choices diffusion|dncnn, no default"),
        note="MODULE:CALLABLE or FILE.py:CALLABLE, called as (pixels in [-1, 1], NCHW, float32; t) -> pixels; "
        "upstream's is the guided-diffusion 256x256_diffusion_uncond.pt (not bundled)",
    )
    encoder: str | None = sourced(
        "llava-hf/llava-1.5-7b-hf",
        README.at("L146: LLaVA-1.5-7b (llava-hf/llava-1.5-7b-hf) is required"),
        note="code/utils.py L284 reads settings['Embed_model_path'], a key settings/settings.yaml lacks; "
        "null embeds with the target model (a Hugging Face backend)",
    )
    encoder_dtype: Literal["float16", "bfloat16", "float32"] = sourced(
        "float16", UTILS.at("LlavaEncoder: torch_dtype=torch.float16"), note="float32 when there is no CUDA"
    )
    image_size: int = sourced(224, UTILS.at("transforms.Resize([224,224])"), ge=1)
    step: int = sourced(50, UTILS.at("generate_denoised_img_diffusion(step=50)"), ge=1)
    checkpoints: int = sourced(8, UTILS.at("defence(cpnum=8)"), ge=1, note="checkpoint 0 is undenoised")
    jpeg_quality: int | None = sourced(
        75,
        UTILS.at("img.save(... '.jpg')"),
        ge=1,
        le=100,
        note="PIL's default JPEG quality; null keeps the checkpoints lossless",
    )
    threshold: float = sourced(-0.003936767578125, MAIN.at("--threshold default"))
    cosine_dtype: Literal["float16", "float32"] = sourced(
        "float16", UTILS.at("Encoder.compute_cosine on the float16 embeddings' numpy arrays")
    )
    refusal_text: str = sourced(
        REFUSAL,
        README.at("CIDER will directly refuse ... by responding"),
        note="utils.py get_response answers 'sorry,  I can not assist with that.' instead",
    )
    forward_resized_image: bool = sourced(
        True,
        UTILS.at("defence: ret_images_pths.append(denoised_imgpth[idx])"),
        note="unflagged pairs get the checkpoint-0 image (224 x 224 JPEG); false forwards the original image, "
        "as the README describes",
    )

    @property
    def timesteps(self) -> tuple[int, ...]:
        """The denoising steps of checkpoints 1.. (``range(step, checkpoints * step, step)``)."""
        return tuple(range(self.step, self.checkpoints * self.step, self.step))


@dataclass(frozen=True)
class Detection:
    """CIDER's verdict on the images of one request."""

    cosines: tuple[tuple[float, ...], ...]
    lowest: tuple[int, ...]
    flagged: bool
    forwarded: tuple[ImageInput, ...]


def lowest_checkpoint(cosines: Sequence[float], threshold: float) -> int:
    """Upstream's ``get_lowest_idx``: the checkpoint with the lowest similarity if it fell below ``tau``, else 0.

    Args:
        cosines: Similarities of checkpoints 0 (undenoised) to n.
        threshold: ``tau``; a drop ``cos[k] - cos[0] < tau`` counts.

    Returns:
        0 for a clean image, otherwise the index of the lowest similarity.
    """
    import numpy as np

    delta = np.asarray(cosines) - cosines[0]
    return int(np.argmin(delta)) if float(np.min(delta)) < threshold else 0


def cosine(text: np.ndarray, images: np.ndarray, dtype: str) -> np.ndarray:
    """Cosine similarity of one text vector with each image vector, in ``dtype`` arithmetic as upstream.

    Args:
        text: (D,) pooled text embedding.
        images: (K, D) pooled image embeddings.
        dtype: ``float16`` (upstream) or ``float32``.

    Returns:
        (K,) similarities.
    """
    import numpy as np

    a = np.broadcast_to(text.astype(dtype), images.shape)
    b = images.astype(dtype)
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))  # type: ignore[no-any-return]


def load_denoiser(spec: str | None) -> Denoiser:
    """Resolve ``MODULE:CALLABLE`` or ``FILE.py:CALLABLE`` to the denoiser.

    Raises:
        UsageError: No spec, a malformed one, or one that does not name a callable.
    """
    hint = (
        "pass --defense-set denoiser=MODULE:CALLABLE naming a (pixels, t) -> pixels denoiser "
        "(see reproductions/cider/defense.py)"
    )
    if not spec:
        raise UsageError("CIDER needs its diffusion denoiser, which lvlmkb does not bundle", hint)
    target, _, name = spec.rpartition(":")
    if not target or not name:
        raise UsageError(f"denoiser '{spec}' is not MODULE:CALLABLE", hint)
    try:
        if target.endswith(".py"):
            loader = importlib.util.spec_from_file_location(f"lvlmkb_cider_denoiser_{Path(target).stem}", target)
            if loader is None or loader.loader is None:
                raise ImportError(target)
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
    except (ImportError, OSError) as err:
        raise UsageError(f"cannot import the denoiser module '{target}': {err}", hint) from err
    found: Any = module
    for part in name.split("."):
        found = getattr(found, part, None)
    if not callable(found):
        raise UsageError(f"'{spec}' is not a callable", hint)
    denoiser: Denoiser = found
    return denoiser


def _jpeg(image: Image, quality: int | None) -> Image:
    from PIL import Image as PILImage

    if quality is None:
        return image
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with PILImage.open(buffer) as decoded:
        return decoded.convert("RGB")


def checkpoint_images(image: ImageInput, denoise: Denoiser, config: CIDERConfig, seed: int) -> list[Image]:
    """Checkpoint 0 (the resized image) and the image denoised for each of ``config.timesteps``, as JPEGs.

    Args:
        image: The input image.
        denoise: The denoiser.
        config: Size, schedule and JPEG quality.
        seed: Seeds the torch generator before each denoiser call (upstream's noise is unseeded).

    Returns:
        ``config.checkpoints`` RGB images.
    """
    import numpy as np
    import torch
    from PIL import Image as PILImage

    size = config.image_size
    resized = image.to_pil().resize((size, size), PILImage.Resampling.BILINEAR)
    pixels = torch.from_numpy(np.asarray(resized, dtype=np.float32) / 255 * 2 - 1).permute(2, 0, 1).unsqueeze(0)
    images = [_jpeg(resized, config.jpeg_quality)]
    for t in config.timesteps:
        with torch.random.fork_rng():
            torch.manual_seed(seed * 1009 + t)
            out = denoise(pixels, t)
        array = (out.detach().float().cpu().clamp(-1, 1).numpy()[0].transpose(1, 2, 0) + 1) / 2 * 255
        images.append(_jpeg(PILImage.fromarray(array.astype(np.uint8)), config.jpeg_quality))
    return images


class Encoder:
    """Pooled text and image embeddings of a LLaVA-style checkpoint, as ``LlavaEncoder`` computes them."""

    def __init__(self, backend: HFBackend) -> None:
        self.backend = backend

    def text(self, query: str) -> np.ndarray:
        """Mean over the query's tokens (special tokens as the tokenizer adds them) of the input embeddings."""
        import torch

        model, processor = self.backend.model, self.backend.processor
        ids = processor.tokenizer(query, return_tensors="pt").input_ids.to(model.device)
        with torch.inference_mode():
            embeds = model.get_input_embeddings()(ids)
        return embeds.float().mean(dim=1)[0].cpu().numpy()  # type: ignore[no-any-return]

    def images(self, images: Sequence[Image]) -> np.ndarray:
        """Mean over image tokens of the projected features, one row per image."""
        import numpy as np
        import torch

        model, processor = self.backend.model, self.backend.processor
        if not hasattr(model, "get_image_features"):
            raise UsageError(f"{type(model).__name__} has no get_image_features", "use a LLaVA-style encoder")
        pixels = processor.image_processor(images=list(images), return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            out = model.get_image_features(pixel_values=pixels.to(model.device, model.dtype))
        features = getattr(out, "pooler_output", out)
        return np.stack([f.float().reshape(-1, f.shape[-1]).mean(dim=0).cpu().numpy() for f in features])


def _last_user(request: GenerationRequest) -> int | None:
    return next((i for i in reversed(range(len(request.messages))) if request.messages[i].role == "user"), None)


def with_images(request: GenerationRequest, index: int, images: Sequence[ImageInput]) -> GenerationRequest:
    """``request`` with the images of message ``index`` replaced, in order, by ``images``."""
    replacements = iter(images)
    turn = request.messages[index]
    parts: tuple[Part, ...] = tuple(next(replacements) if isinstance(p, ImageInput) else p for p in turn.parts)
    messages = (*request.messages[:index], Message(turn.role, parts), *request.messages[index + 1 :])
    return replace(request, messages=messages)


def _encoder_backend(config: CIDERConfig, target: Backend) -> HFBackend:
    import torch

    from lvlmkb.eval import HFBackend

    if config.encoder is None or (isinstance(target, HFBackend) and target.checkpoint == config.encoder):
        if not isinstance(target, HFBackend):
            raise UsageError(
                "CIDER with encoder=null embeds with the target, which must be a Hugging Face backend",
                "name an encoder checkpoint (default llava-hf/llava-1.5-7b-hf) or use an hf model",
            )
        return target
    dtype = config.encoder_dtype if torch.cuda.is_available() else "float32"
    return HFBackend(config.encoder, dtype=dtype)


DEVIATIONS = (
    Deviation(
        "the guided-diffusion denoiser is not bundled; supply it via --defense-set denoiser=MODULE:CALLABLE",
        "its weights (256x256_diffusion_uncond.pt) and diffusion code are not loadable through transformers "
        "and cannot be fetched here; without a denoiser CIDER refuses to run rather than fall back",
    ),
    Deviation(
        "the denoiser's noise is seeded per request and step (seed * 1009 + t) from the request's seed",
        "upstream drew it from the unseeded global torch generator, so its verdicts near tau could vary "
        "between runs; seeding keeps runs deterministic and cacheable",
    ),
    Deviation(
        "every image of the last user turn is checked with that turn's text; the request is refused if any "
        "is flagged; requests without images pass unchecked",
        "upstream pairs one image with one query",
    ),
    Deviation(
        "the 8 checkpoints of an image are embedded in one batch; denoising runs per request, not in "
        "batches of 50 images",
        "batching across requests would make a request's result depend on its neighbours in the batch",
    ),
    Deviation(
        "the target answers with lvlmkb's backend: the checkpoint's chat template, the run's settings",
        "upstream prompted LLaVA with a bare '<image>\\n{query}\\n' (max_new_tokens 512, utils.py "
        "get_response); lvlmkb's backend owns templates and image placement",
    ),
)
"""How this reproduction differs from the original, and why."""


@defense(paper="xu2024cider", version=1, deviations=DEVIATIONS)
class CIDER(Defense[CIDERConfig]):
    """CIDER: refuse when denoising the image lowers its similarity to the query by more than tau."""

    encoder: Encoder | None = None
    denoiser: Denoiser | None = None

    def attach(self, target: Backend) -> None:
        """Load the denoiser and the encoder: a checkpoint of its own, or ``target`` itself when it is the encoder.

        Raises:
            UsageError: No denoiser is configured, or the encoder must be the target and it is not white-box.
        """
        self.denoiser = load_denoiser(self.settings.denoiser)
        self.encoder = Encoder(_encoder_backend(self.settings, target))

    def describe(self) -> dict[str, Any]:
        """The encoder's backend (once attached) and the denoiser."""
        encoder = self.encoder.backend.describe() if self.encoder is not None else None
        return {"encoder": encoder, "denoiser": self.settings.denoiser}

    def detect(self, request: GenerationRequest) -> Detection | None:
        """CIDER's verdict on the last user turn's images; None when it has none.

        Raises:
            BackendError: CIDER was not attached to a model (``wrap`` attaches it).
        """
        index = _last_user(request)
        turn = request.messages[index] if index is not None else None
        if turn is None or not turn.images:
            return None
        if self.encoder is None or self.denoiser is None:
            raise BackendError("CIDER is not attached to a model", "wrap the model: CIDER().wrap(backend)")
        c = self.settings
        text = self.encoder.text(turn.text)
        cosines, lowest, forwarded = [], [], []
        for image in turn.images:
            checkpoints = checkpoint_images(image, self.denoiser, c, request.settings.seed)
            sims = cosine(text, self.encoder.images(checkpoints), c.cosine_dtype)
            cosines.append(tuple(float(s) for s in sims))
            lowest.append(lowest_checkpoint(sims.tolist(), c.threshold))
            forwarded.append(ImageInput.from_pil(checkpoints[0]) if c.forward_resized_image else image)
        return Detection(tuple(cosines), tuple(lowest), any(lowest), tuple(forwarded))

    def detection_trace(self, detection: Detection | None) -> dict[str, Any]:
        """What CIDER did to one request: the similarities, the threshold, the decision, the images forwarded."""
        c = self.settings
        if detection is None:
            return {"checked": False, "flagged": False, "threshold": c.threshold, "note": "no image in the last turn"}
        refused = detection.flagged
        return {
            "checked": True,
            "cosines": [list(cosines) for cosines in detection.cosines],
            "deltas": [[s - cosines[0] for s in cosines] for cosines in detection.cosines],
            "lowest_checkpoint": list(detection.lowest),
            "threshold": c.threshold,
            "flagged": refused,
            "refused_by_defense": refused,
            "resized_image_forwarded": c.forward_resized_image and not refused,
            "forwarded_images": [] if refused else [image.sha256 for image in detection.forwarded],
        }

    def generate(self, inner: Backend, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """Refuse flagged requests; answer the others (and those without images) in one call to ``inner``, in order.

        A flagged request's answer is the configured refusal (``refused_by_defense``), not the model's.
        """
        detections = [self.detect(r) for r in requests]
        passed = [i for i, d in enumerate(detections) if d is None or not d.flagged]
        forwarded = []
        for i in passed:
            detection, index = detections[i], _last_user(requests[i])
            if detection is None or index is None:
                forwarded.append(requests[i])
            else:
                forwarded.append(with_images(requests[i], index, detection.forwarded))
        answers = inner.generate(forwarded) if forwarded else []
        out = [GenerationResponse(self.settings.refusal_text, (), self.detection_trace(d)) for d in detections]
        for i, answer in zip(passed, answers, strict=True):
            out[i] = GenerationResponse(answer.text, answer.token_ids, self.detection_trace(detections[i]))
        return out
