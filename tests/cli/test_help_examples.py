"""Every command's ``--help`` ends with an example, and every example is a command line the parser accepts."""

from __future__ import annotations

import re
import shlex

import pytest
import typer.main
from typer.core import TyperCommand, TyperGroup

from lvlmkb.cli import app

Command = TyperCommand | TyperGroup
"""typer's own command classes (it ships its own click, so these are not ``click.Command``)."""

EXAMPLE = re.compile(r"^\s*(?:Examples?:\s*)?(lvlmkb .+)$", re.MULTILINE)
SHELL = {">", ">>", "|", "2>"}


def examples_in(text: str) -> list[str]:
    """The command lines after the help's ``Example:`` (or ``Examples:``), shell redirections cut off."""
    start = text.find("Example")
    lines = EXAMPLE.findall(text[text.rfind("\n", 0, start) + 1 :]) if start >= 0 else []
    words = [shlex.split(line) for line in lines]
    return [shlex.join(w[: next((i for i, x in enumerate(w) if x in SHELL), len(w))]) for w in words]


def _leaves(command: Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Command]]:
    if isinstance(command, TyperGroup):
        found: list[tuple[tuple[str, ...], Command]] = [(path, command)] if command.invoke_without_command else []
        for name, sub in sorted(command.commands.items()):
            assert isinstance(sub, TyperCommand | TyperGroup)
            found += _leaves(sub, (*path, name))
        return found
    return [(path, command)]


ROOT = typer.main.get_command(app)
assert isinstance(ROOT, TyperGroup)
LEAVES = [(path, command) for path, command in _leaves(ROOT) if path]


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path, _ in LEAVES}
    assert {"reproduce", "suite", "matrix", "runs", "runs show", "site build", "render readme"} <= names


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_the_help_shows_an_example_the_parser_accepts(path: tuple[str, ...], command: Command) -> None:
    examples = examples_in(command.help or "")
    assert examples, f"`lvlmkb {' '.join(path)} --help` has no 'Example: lvlmkb ...' line"
    for example in examples:
        words = shlex.split(example)[1:]
        assert tuple(words[: len(path)]) == path, f"the example runs another command: {example}"
        with command.make_context(" ".join(path), words[len(path) :]) as context:
            assert context.params is not None
