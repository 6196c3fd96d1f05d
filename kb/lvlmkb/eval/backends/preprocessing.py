"""Images as the original models saw them: a family's own step before the Hugging Face processor's.

The converted checkpoints' processors do not always prepare images as the models' authors did. The llava-hf
LLaVA-1.5 processors resize the shortest side to 336 and center-crop, so whatever lies at the long side's
ends is cut (on MM-SafetyBench SD+TYPO images most of the typography's rows; HADES's bottom text). The
original LLaVA-1.5 (``image_aspect_ratio: pad``) first pads the image to a square, centred on a canvas filled
with the image mean, so the crop that follows cuts nothing. Janus's original resizes the long side to 384
truncating the short one (``int``) where the converted processor rounds it, which moves every pixel by
one row or column for many sizes. lvlmkb runs each original step before the processor, whose own resize,
crop and pad are then no-ops.

LLaVA-NeXT's original reads its resolution grid as (width, height) where transformers reads (height, width),
so an image with both sides under about 331 px gets a transposed canvas; lvlmkb gives the processor and the
model config the grid with each pair swapped, so both choose the original's canvas (the processor's tiles
then match the original bit for bit; the model side is checked on the tiny LLaVA-NeXT build only).

Compared with each family's original code (the other registered families): LLaVA-OneVision, Qwen2-VL and
Qwen2.5-VL, InternVL 2.5 give the same pixels through their processors; Idefics2/3 and SmolVLM were written
into transformers by their authors; Gemma 3 and Mllama follow the same algorithm (Gemma's original resizes
with JAX, so interpolation may differ slightly; not measured).

A family without an entry here is run as its processor prepares it; ``--backend-option preprocessing=processor``
asks for that for every family (to compare with evaluations that used the converted processors). The choice
is part of the run's configuration and of the generation cache's key, and the run record names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from PIL import Image

_CONFIGURED = "_lvlmkb_preprocessing"
"""The attribute a model carries once :meth:`Preprocessing.setup` has configured it."""
PreprocessingChoice = Literal["original", "processor"]
PREPROCESSING_CHOICES: tuple[PreprocessingChoice, ...] = ("original", "processor")


@dataclass(frozen=True)
class Preprocessing:
    """A family's own image step before the processor: what it does and where the original does it."""

    id: str
    source: str
    """The original code (``owner/repo@commit:file (function)``)."""
    prepare: Callable[[Image.Image, Any], Image.Image] | None = None
    """``prepare(image, image_processor)``; None: the image goes to the processor as it is."""
    configure: Callable[[Any, Any], None] | None = None
    """``configure(model, processor)``, once when the model loads (a setting both must share)."""

    def setup(self, model: Any, processor: Any) -> None:
        """Apply :attr:`configure` to a model and processor, once (the model remembers it was configured)."""
        if self.configure is not None and getattr(model, _CONFIGURED, None) != self.id:
            self.configure(model, processor)
            setattr(model, _CONFIGURED, self.id)

    def apply(self, image: Image.Image, image_processor: Any) -> Image.Image:
        """The image as the original model's code hands it to its vision tower's processor."""
        return image if self.prepare is None else self.prepare(image, image_processor)

    def describe(self) -> dict[str, str]:
        """What the run record says about it."""
        return {"id": self.id, "source": self.source}


def expand_to_square(image: Image.Image, fill: tuple[int, ...]) -> Image.Image:
    """``image`` centred on a square canvas of its longer side, the rest filled with ``fill``."""
    from PIL import Image as PILImage

    width, height = image.size
    if width == height:
        return image
    side = max(width, height)
    canvas = PILImage.new(image.mode, (side, side), fill)
    canvas.paste(image, ((side - width) // 2, (side - height) // 2))
    return canvas


def _janus_resize_and_pad(image: Image.Image, image_processor: Any) -> Image.Image:
    """Janus's ``VLMImageProcessor.resize``: the long side to the model size, each side ``max(int(...), min_size)``.

    Then ``expand2square`` with the processor's background colour (127 for the mean 0.5).
    """
    from PIL import Image as PILImage

    size = image_processor.size  # a SizeDict (or a plain dict) of height and width
    sides = [size.get(k) if isinstance(size, dict) else getattr(size, k, None) for k in ("height", "width")]
    target = max(int(side) for side in sides if side)
    minimum = int(getattr(image_processor, "min_size", 14))
    image = image.convert("RGB")
    width, height = image.size
    longest = max(width, height)
    resized = (max(int(width / longest * target), minimum), max(int(height / longest * target), minimum))
    if resized != image.size:
        image = image.resize(resized, PILImage.Resampling.BICUBIC)
    background = getattr(image_processor, "background_color", None)
    fill = tuple(background) if background else tuple(int(v * 255) for v in image_processor.image_mean)
    return expand_to_square(image, fill)


def _pad_with_image_mean(image: Image.Image, image_processor: Any) -> Image.Image:
    """LLaVA-1.5's ``expand2square``: the fill is the processor's mean colour, each channel ``int(mean * 255)``."""
    fill = tuple(int(value * 255) for value in image_processor.image_mean)
    return expand_to_square(image.convert("RGB"), fill)


LLAVA_15_PAD = Preprocessing(
    "llava-1.5-pad-to-square",
    "haotian-liu/LLaVA@c121f0432da27facab705978f83c4ada465e46fd:llava/mm_utils.py "
    "L152-163 (expand2square), L166-182 (process_images: image_aspect_ratio 'pad', fill int(mean * 255))",
    _pad_with_image_mean,
)
JANUS_RESIZE_PAD = Preprocessing(
    "janus-resize-truncate-pad",
    "deepseek-ai/Janus@1daa72fa409002d40931bd7b36a9280362469ead:janus/models/image_processing_vlm.py "
    "L127-162 (resize: max(int(side / long * size), min_size), bicubic), L41-52 (expand2square, background)",
    _janus_resize_and_pad,
)


def _grid_as_width_height(model: Any, processor: Any) -> None:
    """Swap each (height, width) pair of the resolution grid, so transformers reads it as the original did."""
    swapped = [[second, first] for first, second in model.config.image_grid_pinpoints]
    model.config.image_grid_pinpoints = swapped
    processor.image_processor.image_grid_pinpoints = swapped


LLAVA_NEXT_GRID = Preprocessing(
    "llava-next-grid-width-height",
    "haotian-liu/LLaVA@c121f0432da27facab705978f83c4ada465e46fd:llava/mm_utils.py "
    "L12-39 (select_best_resolution reads each pair as (width, height)), L119-145 (process_anyres_image)",
    configure=_grid_as_width_height,
)
PROCESSOR = Preprocessing("processor", "the checkpoint's Hugging Face processor, unchanged")

BY_FAMILY: dict[str, Preprocessing] = {
    "llava": LLAVA_15_PAD,
    "janus": JANUS_RESIZE_PAD,
    "llava-next": LLAVA_NEXT_GRID,
}
"""The registry families (``family:`` in models.yaml) whose original code prepares images differently."""
BY_MODEL_TYPE: dict[str, Preprocessing] = {
    "llava": LLAVA_15_PAD,
    "janus": JANUS_RESIZE_PAD,
    "llava_next": LLAVA_NEXT_GRID,
}
"""The same, by the loaded model's ``config.model_type`` (for models built in memory)."""


def preprocessing_for(family: str | None, choice: str = "original", model_type: str | None = None) -> Preprocessing:
    """The step a model of ``family`` (or, without one, ``model_type``) runs before its processor."""
    if choice == "processor":
        return PROCESSOR
    if family is not None:
        return BY_FAMILY.get(family, PROCESSOR)
    return BY_MODEL_TYPE.get(model_type or "", PROCESSOR)
