"""System fonts found by file name, with their hashes recorded for provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lvlmkb.errors import LvlmkbError

FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)
FONT_PACKAGES = {
    "FreeMonoBold.ttf": ("fonts-freefont-ttf", "GNU FreeFont"),
    "LiberationSans-Regular.ttf": ("fonts-liberation", "Liberation Fonts"),
    "DejaVuSans.ttf": ("fonts-dejavu-core", "DejaVu Fonts"),
}


class FontNotFoundError(LvlmkbError):
    """A font a reproduction needs is not installed."""


@dataclass(frozen=True)
class FontFile:
    """A font file and the sha256 of its bytes."""

    path: Path
    sha256: str


def find_font(name: str, search: tuple[Path, ...] = FONT_DIRS) -> FontFile:
    """Find ``name`` (e.g. ``FreeMonoBold.ttf``) in the usual font folders."""
    for folder in search:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob(name)):
            if path.is_file():
                return FontFile(path, hashlib.sha256(path.read_bytes()).hexdigest())
    package = FONT_PACKAGES.get(name, "a package that provides it")
    raise FontNotFoundError(
        f"font {name} is not installed", f"install {package}, e.g. apt-get install fonts-freefont-ttf"
    )
