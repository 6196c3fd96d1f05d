"""Every command's help: -h works, and values are named for the user (TEXT, N, PATH), never as Python types."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.cli.help_text import plain_label


def _command_paths(command: Any, prefix: list[str]) -> list[list[str]]:
    paths = [prefix]
    commands: dict[str, Any] = getattr(command, "commands", {})
    for name, sub in commands.items():
        paths += _command_paths(sub, [*prefix, name])
    return paths


PATHS = _command_paths(typer.main.get_command(app), [])


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "lvlmkb")
def test_help_is_plain_and_answers_to_h(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "-h"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert not re.search(r"<(?:list\[|str>|int>|int range>|float|path>|dir>)", result.output), result.output


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("<list[str]>", "TEXT..."),
        ("<int range>", "N"),
        ("<str>", "TEXT"),
        ("<dir>", "DIR"),
        ("<text|json>", "text|json"),
    ],
)
def test_type_labels_become_placeholders(typed: str, plain: str) -> None:
    assert plain_label(typed) == plain


def test_there_are_many_commands_to_check() -> None:
    assert len(PATHS) >= 20
