"""Opening image files given by users or datasets, with one clear error for every failure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lvlmkb.errors import LvlmkbError

if TYPE_CHECKING:
    from PIL.Image import Image


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
    except (OSError, UnidentifiedImageError) as err:
        raise ImageFileError(f"cannot open the {what} {path}: {err}", hint) from err
