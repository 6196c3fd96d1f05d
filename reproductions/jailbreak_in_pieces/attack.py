r"""Jailbreak in Pieces (Shayegani et al., ICLR 2024, arXiv 2307.14539): an image that embeds like a harmful one.

Stage 1, :func:`optimize`: starting from a white image, Adam moves the pixels so that their CLIP image
embedding (the projected pooled output, ``get_image_features``) approaches that of a user-supplied target
image, by the L2 ``PairwiseDistance``; pixels are clamped to [0, 1] after every step. Only the vision
encoder is needed. Run it as ``lvlmkb stage jailbreak-in-pieces optimize --set target_image=PATH --out DIR``;
it checkpoints (pixels and Adam state) and resumes from the last checkpoint.

Stage 2, :class:`JailbreakInPieces`: ``lvlmkb reproduce jailbreak-in-pieces --data PROMPTS.txt
--set adversarial_image=DIR/adversarial.png`` pairs the image with every generic text prompt.

Sources. Upstream is erfanshayegani/Jailbreak-In-Pieces at ``b7b2bce8`` (``src/adv_image.py``,
``src/utils.py`` and the README), read at that commit in the stored fork danielkiely/Jailbreak-In-Pieces,
which contains the upstream history (the fork's own commits start at ``aa0d59f6``). The procedure below
is ``src/adv_image.py`` L53-136 there: target image L53, ``CLIPModel`` L69-74, ``do_normalize = False``
L76-77, the ``images/white.jpeg`` start L85, ``PairwiseDistance(p=2)`` L89, Adam lr 0.1 L102, 5000 epochs
L105, clamp L114, 8-bit conversion by truncation L129, the JPEG output L136.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from lvlmkb.eval import (
    FINAL,
    STATE,
    AttachedImageConfig,
    AttachedImageMethod,
    Deviation,
    ImageInput,
    Source,
    StageContext,
    UsageError,
    attack,
    open_rgb,
    resumable_state,
    sha256_file,
    sourced,
    stage,
    write_atomic,
)

if TYPE_CHECKING:
    import torch
    from PIL.Image import Image

REPO, COMMIT = "erfanshayegani/Jailbreak-In-Pieces", "b7b2bce812adada23f583f63f63e564f84d277c6"
ADV = "src/adv_image.py"
OnEpoch = Callable[[int, float], None]
_MODEL_CLASSES = {"clip": "CLIPModel", "clip_vision_model": "CLIPVisionModelWithProjection"}


class JiPConfig(AttachedImageConfig):
    """The optimisation parameters of ``src/adv_image.py``, and the image to evaluate."""

    encoder: str = sourced(
        "openai/clip-vit-large-patch14-336",
        Source(REPO, COMMIT, ADV, "L69 model_id"),
        note="a Hugging Face repo id or a local folder",
    )
    encoder_revision: str | None = sourced(
        None,
        Source(REPO, COMMIT, ADV, "L74 CLIPModel.from_pretrained(model_id)"),
        note="upstream loads the latest revision",
    )
    do_normalize: bool = sourced(
        False, Source(REPO, COMMIT, ADV, "L76-77 imgproc.do_normalize = False"), note="True: CLIP mean/std inside torch"
    )
    target_image: Path | None = sourced(
        None, Source(REPO, COMMIT, ADV, "L53 target image ../images/meth_pill.png"), note="user-supplied"
    )
    init_image: Path | None = sourced(
        None, Source(REPO, COMMIT, ADV, "L85 start image ../images/white.jpeg"), note="null: a white image"
    )
    learning_rate: float = sourced(0.1, Source(REPO, COMMIT, ADV, "L102 optim.Adam([random_img], lr=0.1)"), gt=0)
    epochs: int = sourced(5000, Source(REPO, COMMIT, ADV, "L105 num_epochs"), ge=0)
    checkpoint_every: int = sourced(
        100, Source(REPO, COMMIT, ADV, "L107-122 training loop (no checkpoints upstream)"), ge=1, note="lvlmkb's choice"
    )
    adversarial_image: Path | None = sourced(
        None,
        Source(REPO, COMMIT, ADV, "L136 the optimised image, saved as JPEG"),
        note="upstream's README inference example (L99) pairs the prompts with images/meth_pill.png instead",
    )


class ClipEncoder:
    """A CLIP vision tower with its projection and the matching (PIL) image processor."""

    def __init__(self, model: Any, processor: Any, do_normalize: bool = False) -> None:
        self.model, self.processor, self.do_normalize = model, processor, do_normalize

    @classmethod
    def load(
        cls, name: str, revision: str | None = None, device: str | None = None, do_normalize: bool = False
    ) -> ClipEncoder:
        """Load a CLIP checkpoint (``CLIPModel``, as upstream) or a ``CLIPVisionModelWithProjection`` one.

        Args:
            name: Hugging Face repo id or local folder.
            revision: Hub revision (ignored for a local folder).
            device: Torch device; default CUDA when available.
            do_normalize: Apply the CLIP mean/std to the pixels before the encoder (upstream: False).

        Returns:
            The encoder with its ``CLIPImageProcessorPil`` (the PIL processor upstream used), in eval mode.

        Raises:
            UsageError: The checkpoint cannot be loaded, is not CLIP, or loads with missing or resized weights.
        """
        import torch
        import transformers

        pinned = None if Path(name).is_dir() else revision
        try:
            model_type = transformers.AutoConfig.from_pretrained(
                name, revision=pinned, trust_remote_code=False
            ).model_type
            model_cls = _MODEL_CLASSES.get(model_type)
            if model_cls is None:
                raise UsageError(f"'{name}' is a {model_type} checkpoint, not CLIP", "pass a CLIP checkpoint")
            processor = transformers.CLIPImageProcessorPil.from_pretrained(name, revision=pinned or "main")
            loaded = getattr(transformers, model_cls).from_pretrained(
                name, revision=pinned, dtype=torch.float32, output_loading_info=True, trust_remote_code=False
            )
        except OSError as err:
            raise UsageError(
                f"cannot load the CLIP encoder '{name}': {err}", "pass --set encoder=REPO_OR_FOLDER"
            ) from err
        except RuntimeError as err:  # transformers refuses weights whose shapes differ from the config's
            raise UsageError(f"'{name}' loads with resized weights: {err}", "pass a complete CLIP checkpoint") from err
        except ValueError as err:  # an unknown model_type, or a checkpoint that needs remote code
            raise UsageError(f"cannot load the CLIP encoder '{name}': {err}", "pass a CLIP checkpoint") from err
        model, info = loaded
        if info.get("missing_keys") or info.get("mismatched_keys"):
            raise UsageError(f"'{name}' loads with missing or resized weights", "pass a complete CLIP checkpoint")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        model.to(device).eval().requires_grad_(False)
        return cls(model, processor, do_normalize)

    @property
    def device(self) -> torch.device:
        """Where the encoder runs."""
        device: torch.device = self.model.device
        return device

    def pixels(self, image: Image) -> torch.Tensor:
        """The processor's resized and cropped pixels in [0, 1] (never normalised here), (1, 3, H, W)."""
        out = self.processor(images=image.convert("RGB"), do_normalize=False, return_tensors="pt")
        pixels: torch.Tensor = out["pixel_values"]
        return pixels.to(self.device, dtype=self.model.dtype)

    def embed(self, pixels: torch.Tensor) -> torch.Tensor:
        """The projected image embedding (``image_embeds`` = ``CLIPModel.get_image_features``)."""
        import torch

        if self.do_normalize:
            p = self.processor
            mean = torch.tensor(p.image_mean, device=pixels.device, dtype=pixels.dtype).view(1, -1, 1, 1)
            std = torch.tensor(p.image_std, device=pixels.device, dtype=pixels.dtype).view(1, -1, 1, 1)
            pixels = (pixels - mean) / std
        if self.model.config.model_type == "clip":  # CLIPModel, as upstream
            out = self.model.get_image_features(pixel_values=pixels)
            embeds: torch.Tensor = out if isinstance(out, torch.Tensor) else out.pooler_output
        else:  # CLIPVisionModelWithProjection: the same projected pooled output
            embeds = self.model(pixel_values=pixels).image_embeds
        return embeds


def _to_png(pixels: torch.Tensor) -> bytes:
    """(1, 3, H, W) in [0, 1] to 8 bits as upstream: ``(x * 255).clamp(0, 255).to(torch.uint8)`` truncates."""
    import torch
    from PIL import Image as PILImage

    array = (pixels.detach()[0].float().cpu() * 255).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    return ImageInput.from_pil(PILImage.fromarray(array)).png


def _identity(encoder: ClipEncoder, config: JiPConfig, target: Path) -> dict[str, Any]:
    """What must not change between a run and its resumption (``epochs`` may grow)."""
    return {
        "encoder": config.encoder,
        "encoder_revision": config.encoder_revision,
        "do_normalize": encoder.do_normalize,
        "learning_rate": config.learning_rate,
        "target_sha256": sha256_file(target),
        "init_sha256": sha256_file(config.init_image) if config.init_image else "white",
    }


def _resume(out_dir: Path, identity: dict[str, Any], config: JiPConfig) -> dict[str, Any] | None:
    state = resumable_state(out_dir, identity)
    if state is None:
        return None
    if state["done"] > config.epochs:
        raise UsageError(f"{out_dir} is already at epoch {state['done']} > {config.epochs}", "raise --set epochs=N")
    return state


def _checkpoint(out_dir: Path, state: dict[str, Any], pixels: torch.Tensor, optimizer: Any) -> None:
    """Write the image, the exact pixels with the Adam state, then the state that points at them."""
    import torch

    done = state["done"]
    write_atomic(out_dir / f"adv_epoch_{done}.png", _to_png(pixels))
    buffer = io.BytesIO()
    torch.save({"pixels": pixels.detach().cpu(), "optimizer": optimizer.state_dict()}, buffer)
    write_atomic(out_dir / f"adv_epoch_{done}.pt", buffer.getvalue())
    write_atomic(out_dir / STATE, json.dumps(state) + "\n")


def _start(encoder: ClipEncoder, config: JiPConfig) -> torch.Tensor:
    """The processed start image: ``init_image``, or white at the processor's crop size (all ones)."""
    from PIL import Image as PILImage

    if config.init_image is not None:
        return encoder.pixels(open_rgb(config.init_image))
    crop = encoder.processor.crop_size
    return encoder.pixels(PILImage.new("RGB", (crop["width"], crop["height"]), (255, 255, 255)))


def _target(config: JiPConfig) -> Path:
    """The target image file, which must exist."""
    if config.target_image is None or not config.target_image.is_file():
        raise UsageError(
            f"jailbreak-in-pieces needs a target image (got {config.target_image})", "pass --set target_image=PATH"
        )
    return config.target_image


def optimize(encoder: ClipEncoder, config: JiPConfig, out_dir: Path, on_epoch: OnEpoch | None = None) -> Path:
    """Run (or resume) the embedding-matching optimisation; return the path of the final image.

    Epochs are numbered 0 to ``epochs - 1`` as upstream's ``range(num_epochs)``. After every
    ``checkpoint_every`` epochs and after the last, ``adv_epoch_{n}.png``, ``adv_epoch_{n}.pt`` (pixels and
    Adam state) and ``state.json`` are written (n = epochs done); a rerun continues after the last of them.

    Args:
        encoder: The CLIP vision encoder.
        config: The attack settings; ``target_image`` is required.
        out_dir: The run folder.
        on_epoch: Called with (epoch, loss) after every epoch (and after its checkpoint).

    Returns:
        ``out_dir / "adversarial.png"``, at the encoder's resolution.
    """
    import torch

    target_image = _target(config)
    with torch.no_grad():
        target = encoder.embed(encoder.pixels(open_rgb(target_image)))
    identity = _identity(encoder, config, target_image)
    state = _resume(out_dir, identity, config)
    if state is None:
        adv, done, losses, saved = _start(encoder, config).detach().clone(), 0, [], None
    else:
        saved = torch.load(out_dir / f"adv_epoch_{state['done']}.pt", weights_only=True)
        adv, done, losses = saved["pixels"].to(encoder.device), state["done"], list(state["losses"])
    adv.requires_grad_(True)
    optimizer = torch.optim.Adam([adv], lr=config.learning_rate)
    if saved is not None:
        optimizer.load_state_dict(saved["optimizer"])
    distance = torch.nn.PairwiseDistance(p=2)
    for epoch in range(done, config.epochs):
        optimizer.zero_grad()
        loss = distance(encoder.embed(adv), target).sum()  # one pair: the sum is that distance
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            adv.clamp_(0.0, 1.0)
        losses.append(float(loss.detach()))
        if (epoch + 1) % config.checkpoint_every == 0 or epoch + 1 == config.epochs:
            _checkpoint(out_dir, {"identity": identity, "done": epoch + 1, "losses": losses}, adv, optimizer)
        if on_epoch is not None:
            on_epoch(epoch, losses[-1])
    write_atomic(out_dir / FINAL, _to_png(adv))
    return out_dir / FINAL


DEVIATIONS = (
    Deviation(
        "the prompt template comes from the model's own processor",
        "upstream formatted every prompt as 'USER: <image>\\n{prompt}\\nASSISTANT:' (README.md L98) for "
        "llava-1.5-7b-hf; "
        "lvlmkb's backend applies the checkpoint's chat template",
    ),
    Deviation(
        "answers are decoded greedily for --max-new-tokens tokens, and the image is not resized beforehand",
        "upstream (src/utils.py batch_generate_response, L63-83) generated 100 new tokens with do_sample=True, "
        "temperature 0.6, top_p 0.9 (L81), LLaVA-1.5-7B in 4-bit NF4 (README.md L68-77), and resized every "
        "image to (3100, 1438) before the processor (L76); pass --max-new-tokens 100 to match the length",
    ),
    Deviation(
        "the target image, the text prompts and (optionally) the start image are supplied by the user",
        "lvlmkb ships no harmful images, and deliberately does not ship the authors' 16 prompts (README.md "
        "L80-96 at the pinned commit); pass a local copy of them, or your own, with --data",
    ),
    Deviation(
        "the white start is generated (pure white at the processor's crop size) and the result is a PNG",
        "upstream read images/white.jpeg (src/adv_image.py L85), an 800x533 near-white JPEG (pixel values "
        "226-255), and saved the result as JPEG (L136), which re-quantises the optimised pixels; "
        "--set init_image=PATH takes any start image, such as a local copy of white.jpeg",
    ),
    Deviation(
        "checkpoints every checkpoint_every epochs, with the Adam state, so that runs resume",
        "upstream runs the 5000 epochs in one go and keeps only the final image and the loss list",
    ),
    Deviation(
        "judge: a refusal-keyword judge by default",
        "the paper judged answers by hand; pass --judge to choose another",
    ),
)
"""How this reproduction differs from the original, and why."""


@attack(
    paper="shayegani2023jailbreakinpieces",
    version=1,
    dataset="jip-prompts",
    judges=["refusal-gcg-advbench-29"],
    deviations=DEVIATIONS,
)
class JailbreakInPieces(AttachedImageMethod[JiPConfig]):
    """An adversarial image that embeds like a harmful target image, paired with generic text prompts."""

    prompt_field: ClassVar[str] = "prompt"
    progress: ClassVar[tuple[str, str]] = ("epochs", "done")
    optimise_how: ClassVar[str] = "lvlmkb stage jailbreak-in-pieces optimize --set target_image=PATH --out DIR"

    @stage(
        "optimize",
        summary="Optimise (or resume) the adversarial image on the CLIP vision encoder (--set target_image=PATH).",
        model="none",
    )
    def optimize_stage(self, ctx: StageContext) -> Path:
        """Load the encoder (on ``--device``) and run (or resume) :func:`optimize` in ``ctx.out``."""
        config = self.settings
        _target(config)  # before the encoder's weights load
        encoder = ClipEncoder.load(config.encoder, config.encoder_revision, ctx.device, config.do_normalize)

        def report(epoch: int, loss: float) -> None:
            if (epoch + 1) % config.checkpoint_every == 0 or epoch + 1 == config.epochs:
                ctx.report(f"epoch {epoch + 1}/{config.epochs} loss {loss:.4f}")

        return optimize(encoder, config, ctx.out, report)
