"""Shared fixtures: a temporary knowledge base built from the real taxonomy and model registry."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

if TYPE_CHECKING:
    from lvlmkb.kb.knowledge import KnowledgeBase

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

VALID_PAPER = """\
# yaml-language-server: $schema=paper.schema.json
id: doe2024example
title: An Example Typographic Attack
authors:
- Jane Doe
- John Roe
year: 2024
venue: NeurIPS'24
date: 2024-03-05
arxiv: '2403.01234'
urls:
  paper: https://arxiv.org/abs/2403.01234
  code: https://github.com/example/attack
kind: attack
phase: inference
category: black-box-typography
facets:
  access: [black-box]
  modality: [image-text]
  objective: [jailbreak]
summary: Renders harmful instructions as images to bypass text-side alignment.
tags: [typography]
targets: [llava-1.5-7b]
arxiv_version: 2
sources:
  title: {kind: arxiv, ref: 2403.01234v2, checked: '2026-01-05'}
  authors: {kind: arxiv, ref: 2403.01234v2, checked: '2026-01-05'}
  date: {kind: arxiv, ref: 2403.01234v1, checked: '2026-01-05'}
  venue: {kind: proceedings, ref: 'https://proceedings.example.org/paper/1234', checked: '2026-01-05'}
  urls.code: {kind: official-repo, ref: 'https://github.com/example/attack', checked: '2026-01-05'}
"""

PaperWriter = Callable[[str, str], Path]


def make_kb(root: Path) -> Path:
    """Create a KB at ``root`` with the real taxonomy and registry and one valid paper."""
    shutil.copytree(REPO / "taxonomy", root / "taxonomy", ignore=shutil.ignore_patterns("*.json"))
    (root / "reproductions").mkdir()
    shutil.copy(REPO / "reproductions" / "models.yaml", root / "reproductions" / "models.yaml")
    (root / "papers").mkdir()
    (root / "papers" / "doe2024example.yaml").write_text(VALID_PAPER, encoding="utf-8")
    return root


def copy_paper_folders(root: Path, *folders: str) -> Path:
    """Give the KB at ``root`` the repository's plugin package with only the paper ``folders`` of it."""
    shutil.copy(REPO / "reproductions" / "__init__.py", root / "reproductions" / "__init__.py")
    for folder in folders:
        shutil.copytree(REPO / "reproductions" / folder, root / "reproductions" / folder)
    return root


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    """A small, valid knowledge base in a temporary folder."""
    return make_kb(tmp_path / "kb")


@pytest.fixture
def write_paper(kb_root: Path) -> PaperWriter:
    """Write ``papers/<name>.yaml`` into the temporary KB and return its path."""

    def write(name: str, text: str) -> Path:
        path = kb_root / "papers" / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the repository's taxonomy, papers and reproductions: the real KB, safe to run in."""
    for name in ("taxonomy", "papers", "reproductions"):
        shutil.copytree(REPO / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def repo_kb() -> KnowledgeBase:
    """The repository's own knowledge base, loaded once."""
    from lvlmkb.kb.validate import open_kb
    from lvlmkb.project import Project

    kb, _ = open_kb(Project(REPO))
    return kb


@pytest.fixture
def fixture_csv() -> Path:
    """A harmless file in SafeBench's format (five rows)."""
    return DATA / "safebench_fixture.csv"


@pytest.fixture
def repo_checkout() -> Path:
    """The repository's plugin folder, loaded (a test before may have loaded another checkout's)."""
    from lvlmkb.eval.registry import load_plugins

    load_plugins(REPO / "reproductions")
    return REPO / "reproductions"


@pytest.fixture
def runner() -> CliRunner:
    """A typer CLI runner."""
    return CliRunner()


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def _session_generation_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Session and module fixtures that run reproductions never use (or fill) the user's shared cache."""
    previous = os.environ.get("LVLMKB_GENERATION_CACHE")
    os.environ["LVLMKB_GENERATION_CACHE"] = str(tmp_path_factory.mktemp("session-generations"))
    yield
    if previous is None:
        os.environ.pop("LVLMKB_GENERATION_CACHE", None)
    else:
        os.environ["LVLMKB_GENERATION_CACHE"] = previous


@pytest.fixture(autouse=True)
def _own_generation_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each test its own shared generation cache, so no test is served another test's responses."""
    folder = tmp_path_factory.mktemp("generations")
    monkeypatch.setenv("LVLMKB_GENERATION_CACHE", str(folder))
    return folder
