"""Fixtures for reproduction tests: the real checkout's registry with a harmless SafeBench-format file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from tests.conftest import DATA, REPO

FIXTURE = DATA / "safebench_fixture.csv"


@pytest.fixture(scope="session")
def repo_kb() -> KnowledgeBase:
    kb, _ = open_kb(Project(REPO))
    return kb


@pytest.fixture
def fixture_csv() -> Path:
    return FIXTURE


def saved_state(out_dir: Path) -> dict[str, Any]:
    """The ``state.json`` an image optimisation wrote in ``out_dir`` (it must exist)."""
    from lvlmkb.eval.run.attached_image import read_state

    state = read_state(out_dir)
    assert state is not None, f"no state.json in {out_dir}"
    return state
