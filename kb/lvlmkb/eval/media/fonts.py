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
    package, project = FONT_PACKAGES.get(name, ("", ""))
    hint = f"install {project}: apt-get install {package}" if package else f"install a package that provides {name}"
    raise FontNotFoundError(f"font {name} is not installed", hint)


class FontMismatchError(LvlmkbError):
    """The installed font file is not the one a reproduction is pinned to."""


def check_font(found: FontFile, pinned: str | None, setting: str) -> None:
    """Refuse ``found`` unless its sha256 is ``pinned`` (``None``: any file, its hash is still recorded)."""
    if pinned is not None and found.sha256 != pinned:
        raise FontMismatchError(
            f"font {found.path} has sha256 {found.sha256[:12]}…, not the pinned {pinned[:12]}…: its renders would "
            "differ from the authors' images",
            f"install the pinned file, or accept this one with --set {setting}= (recorded in the run)",
        )
