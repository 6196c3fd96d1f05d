"""Versions, git state and platform facts recorded in every run."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

PACKAGES = ("lvlmkb", "torch", "transformers", "accelerate", "pillow", "numpy", "pydantic", "tokenizers")


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that can change results (None when absent)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(root: Path) -> dict[str, Any]:
    """Commit and dirty flag of the checkout (None when git or the repository is unavailable)."""
    try:
        commit = _git(root, "rev-parse", "HEAD")
        dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit or None, "dirty": dirty}


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True)
    return result.stdout.strip()


def environment(root: Path) -> dict[str, Any]:
    """Everything above plus Python and platform."""
    return {
        "packages": package_versions(),
        "git": git_state(root),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
