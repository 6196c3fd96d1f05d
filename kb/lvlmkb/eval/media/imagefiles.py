"""Opening image files given by users or datasets, with one clear error for every failure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lvlmkb.errors import LvlmkbError

if TYPE_CHECKING:
    from PIL.Image import Image

    from lvlmkb.eval.backends.base import ImageInput
    from lvlmkb.eval.datasets.base import Sample


class ImageFileError(LvlmkbError):
    """An image file is missing or cannot be decoded."""


def open_rgb(path: Path, what: str = "image", hint: str = "pass a JPEG, PNG or BMP file") -> Image:
    """Decode ``path`` as an RGB image, or raise :class:`ImageFileError` naming ``what`` and ``path``."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    if not path.is_file():
        raise ImageFileError(f"missing {what}: expected {path}", hint)
    try:
        with PILImage.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError, PILImage.DecompressionBombError) as err:
        raise ImageFileError(f"cannot open the {what} {path}: {err}", hint) from err


def sample_image(sample: Sample, hint: str) -> ImageInput:
    """The image file of a dataset sample, decoded to RGB, or :class:`ImageFileError` naming the sample."""
    from lvlmkb.eval.backends.base import ImageInput

    if sample.image is None:
        raise ImageFileError(f"sample {sample.id} has no image", hint)
    return ImageInput.from_pil(open_rgb(sample.image, f"image of sample {sample.id}", hint))


def folder_picture(sample: Sample, name: str, what: str, field: str = "folder") -> Image:
    """The image ``name`` below the folder a sample's ``field`` names (a release's images), decoded to RGB.

    Raises:
        DatasetError: ``name`` leads outside that folder.
        ImageFileError: the file is missing or cannot be decoded.
    """
    from lvlmkb.eval.datasets.base import inside

    path = inside(Path(sample.fields[field]), name, f"sample {sample.id}")
    return open_rgb(path, f"{what} of sample {sample.id}", "pass --data DIR")


def folder_image(sample: Sample, name: str, what: str, field: str = "folder") -> ImageInput:
    """:func:`folder_picture` as a model input."""
    from lvlmkb.eval.backends.base import ImageInput

    return ImageInput.from_pil(folder_picture(sample, name, what, field))


def optimised_image(path: Path | None, method_id: str, how: str) -> ImageInput:
    """The image an optimisation wrote, for attacks that attach it to every sample (visual-adv, JiP).

    Raises:
        UsageError: when no path is configured or the file is missing, with ``how`` to make one.
    """
    from lvlmkb.errors import UsageError
    from lvlmkb.eval.backends.base import ImageInput

    if path is None or not path.is_file():
        missing = f"; {path} does not exist" if path else ""
        raise UsageError(
            f"{method_id} needs an adversarial image{missing}",
            f"optimise one first: `{how}`, then pass --set adversarial_image=DIR/adversarial.png",
        )
    return ImageInput.from_pil(open_rgb(path))
