"""Fixtures of the online-command tests: the fake network wired into the CLI, and a KB with two entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from lvlmkb import clock, netio
from tests.kb.online.support import GUARD_PAPER, TODAY, FakeNet


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    """The network the CLI talks to in this test; its clock is the one the CLI sleeps on."""
    fake = FakeNet()
    monkeypatch.setattr(netio, "open_http", fake.http)
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return fake


@pytest.fixture
def two_papers(kb_root: Path) -> Path:
    """The conftest KB plus lee2024guard, a preprint that DBLP lists at CVPR'25."""
    (kb_root / "papers" / "lee2024guard.yaml").write_text(GUARD_PAPER, encoding="utf-8")
    return kb_root
