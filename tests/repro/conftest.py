"""Fixtures for reproduction tests: the real checkout's registry with a harmless SafeBench-format file."""

from __future__ import annotations

from pathlib import Path

import pytest

from lvlmkb.kb import KnowledgeBase
from lvlmkb.project import Project
from lvlmkb.validate import open_kb
from tests.conftest import DATA, REPO

FIXTURE = DATA / "safebench_fixture.csv"


@pytest.fixture(scope="session")
def repo_kb() -> KnowledgeBase:
    kb, _ = open_kb(Project(REPO))
    return kb


@pytest.fixture
def fixture_csv() -> Path:
    return FIXTURE
