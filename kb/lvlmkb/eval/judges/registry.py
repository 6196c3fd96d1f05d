"""The judges by id, as the engine uses them: a :class:`JudgeRegistry` over the one registry's judge entries."""

from __future__ import annotations

from lvlmkb.eval.judges.base import JudgeRegistry
from lvlmkb.eval.registry import judges


def default_registry() -> JudgeRegistry:
    """Every registered judge: the built-in ones and those the loaded checkout declares."""
    registry = JudgeRegistry()
    for entry in judges().values():
        registry.register(entry.id, entry.factory, entry.settings, needs_model=entry.needs_model)
    return registry
