"""The reproductions' tests read the repository's checkout: its plugins and the datasets beside them."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _repo_checkout_loaded(repo_checkout: Path) -> Path:
    """Each test starts with the repository's plugin folder loaded (not a temporary checkout's)."""
    return repo_checkout
