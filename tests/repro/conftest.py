"""Fixtures for reproduction tests: the real checkout's registry with a harmless SafeBench-format file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from lvlmkb.cli import app
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


def invoke_stage(plugin: str, stage: str, *args: str, root: Path = REPO, **settings: object) -> Result:
    """``lvlmkb stage PLUGIN STAGE ARGS --set KEY=VALUE... --root ROOT`` through the CLI test runner (None: null)."""
    sets = [
        part for key, value in settings.items() for part in ("--set", f"{key}={'null' if value is None else value}")
    ]
    return CliRunner().invoke(app, ["stage", plugin, stage, *args, *sets, "--root", str(root)])
