"""The one lvlmkb cache folder: datasets, tiny models, generated images and the shared generation cache."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$LVLMKB_CACHE`` (with ``~`` expanded) if set, else ``~/.cache/lvlmkb``."""
    env = os.environ.get("LVLMKB_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "lvlmkb"
