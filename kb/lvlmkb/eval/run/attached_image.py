"""Attacks that optimise one adversarial image offline and attach it to every sample (Visual-Adv, JiP).

Stage 1 (the plugin's ``optimize`` stage, ``lvlmkb stage PLUGIN optimize``) writes ``adversarial.png`` and,
beside it, ``state.json`` with the run's identity; stage 2 (``lvlmkb reproduce``) attaches that image to each
sample's text and records how it was optimised.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from typing_extensions import TypeVar

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.base import ImageInput
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.media.imagefiles import optimised_image
from lvlmkb.eval.plugin import CraftedInput, Method, MethodConfig
from lvlmkb.fsio import write_atomic

if TYPE_CHECKING:
    import torch

FINAL, STATE = "adversarial.png", "state.json"


def pixels_png(pixels: torch.Tensor, *, truncate: bool = False) -> bytes:
    """An (1, 3, H, W) tensor in [0, 1] as 8-bit PNG.

    Rounded like torchvision's ``save_image``, or truncated like ``(x * 255).astype(np.uint8)`` when ``truncate``.
    """
    import numpy as np
    from PIL import Image

    scaled = pixels[0].detach().float().cpu().permute(1, 2, 0).numpy() * 255 + (0.0 if truncate else 0.5)
    array = scaled.clip(0, 255).astype(np.uint8)
    return ImageInput.from_pil(Image.fromarray(array)).png


def save_noise_checkpoint(
    out_dir: Path, step: int, state: dict[str, Any], pixels: torch.Tensor, noise: torch.Tensor
) -> None:
    """Write ``adv_step_<step>.png``, the exact float noise ``adv_step_<step>.pt``, then ``state.json`` (the commit)."""
    import torch

    write_atomic(out_dir / f"adv_step_{step}.png", pixels_png(pixels))
    buffer = io.BytesIO()
    torch.save(noise.detach().cpu(), buffer)
    write_atomic(out_dir / f"adv_step_{step}.pt", buffer.getvalue())
    write_atomic(out_dir / STATE, json.dumps({**state, "step": step}) + "\n")


def resume_noise(out_dir: Path, identity: dict[str, Any], steps: int, field: str) -> dict[str, Any] | None:
    """The checkpoint state to continue from, refusing one of other settings or already past ``steps``.

    Raises:
        UsageError: the folder holds another run, or a later step than ``--set <field>`` asks for.
    """
    state = resumable_state(out_dir, identity)
    if state is not None and state["step"] > steps:
        raise UsageError(f"{out_dir} is already at step {state['step']} > {steps}", f"raise --set {field}=N")
    return state


class AttachedImageConfig(MethodConfig):
    """A config whose ``adversarial_image`` is the optimised image to attach (modules re-declare it with a source)."""

    adversarial_image: Path | None = None


A = TypeVar("A", bound=AttachedImageConfig, default=AttachedImageConfig, covariant=True)


def read_state(out_dir: Path) -> dict[str, Any] | None:
    """The state of the last checkpoint in ``out_dir`` (progress, identity, losses), or None."""
    path = out_dir / STATE
    if not path.is_file():
        return None
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return state


def resumable_state(out_dir: Path, identity: dict[str, Any]) -> dict[str, Any] | None:
    """The checkpoint state to resume from, refusing one made with other settings or inputs."""
    state = read_state(out_dir)
    if state is not None and state["identity"] != identity:
        raise UsageError(f"{out_dir} holds a run with other settings or inputs", "choose a new --out folder")
    return state


class AttachedImageMethod(Method[A]):
    """Attaches the optimised image to the text in ``prompt_field`` of every sample."""

    prompt_field: ClassVar[str]
    optimise_how: ClassVar[str]
    progress: ClassVar[tuple[str, str]]
    """The config field that counts the optimisation's steps, and the ``state.json`` key of the steps done."""

    def needed_fields(self) -> tuple[str, ...]:
        """The field whose text the image is attached to."""
        return (self.prompt_field,)

    def __init__(self, config: MethodConfig | None = None) -> None:
        super().__init__(config)
        self._image: ImageInput | None = None
        self._read_state: tuple[dict[str, Any] | None] | None = None

    def image(self) -> ImageInput:
        """The adversarial image to attach, loaded once."""
        if self._image is None:
            self._image = optimised_image(self.settings.adversarial_image, self.id, self.optimise_how)
        return self._image

    def _state(self) -> dict[str, Any] | None:
        """The optimisation's ``state.json`` beside the image, read once (None when there is none)."""
        if self._read_state is None:
            path = self.settings.adversarial_image
            self._read_state = (read_state(path.parent) if path is not None else None,)
        return self._read_state[0]

    def optimisation(self) -> dict[str, Any]:
        """The identity of the run that optimised the image, when its ``state.json`` is beside it."""
        state = self._state()
        return state["identity"] if state else {}

    def effective_config(self) -> dict[str, Any]:
        """The config with the optimisation's own settings and step count, when its ``state.json`` is known.

        Without it, the optimisation fields keep their defaults and :meth:`provenance` says they are not
        what ran.
        """
        config = self.config.model_dump(mode="json")
        state = self._state()
        if state is None:
            return config
        fields = type(self.config).model_fields
        config.update({key: value for key, value in state["identity"].items() if key in fields})
        field, key = self.progress
        config[field] = state[key]
        return config

    def craft(self, sample: Sample) -> CraftedInput:
        """The sample's prompt as the user text, with the adversarial image."""
        return CraftedInput(sample.id, sample.category, sample.fields[self.prompt_field], (self.image(),), {})

    def provenance(self) -> dict[str, str]:
        """The hash of the attached image and, when its run folder is beside it, how it was optimised."""
        if self.settings.adversarial_image is None:
            return {}
        state = self._state()
        if state is None:
            unknown = "unknown: no state.json beside the image, so the optimisation fields of config are defaults"
            return {"adversarial_image_sha256": self.image().sha256, "optimization": unknown}
        found = {f"optimized_{k}": str(v) for k, v in state["identity"].items()}
        losses = state.get("losses") or []
        found["optimized_steps_done"] = str(state[self.progress[1]])
        found["optimized_final_loss"] = f"{losses[-1]:.6g}" if losses else "none recorded"
        return {"adversarial_image_sha256": self.image().sha256, **found}
