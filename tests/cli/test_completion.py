"""``lvlmkb completion SHELL`` prints a script, and the shell's completion requests are answered."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from tests.conftest import REPO


def _complete(env: dict[str, str]) -> str:
    full = {**os.environ, "PYTHONPATH": str(REPO / "kb"), **env}
    done = subprocess.run(
        [sys.executable, "-m", "lvlmkb"], env=full, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_script_names_the_completion_variable(runner: CliRunner, shell: str) -> None:
    result = runner.invoke(app, ["completion", shell])
    assert result.exit_code == 0 and f"_LVLMKB_COMPLETE=complete_{shell}" in result.output


def test_an_unknown_shell_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["completion", "tcsh"])
    assert result.exit_code == 2 and "'bash', 'zsh', 'fish'" in result.output


def test_bash_completes_commands_and_arguments() -> None:
    commands = _complete({"_LVLMKB_COMPLETE": "complete_bash", "COMP_WORDS": "lvlmkb re", "COMP_CWORD": "1"})
    assert commands.split() == ["reproduce", "refresh", "rejudge", "render"]
    shells = _complete({"_LVLMKB_COMPLETE": "complete_bash", "COMP_WORDS": "lvlmkb completion ", "COMP_CWORD": "2"})
    assert shells.split() == ["bash", "zsh", "fish"]


def test_zsh_completes_with_descriptions() -> None:
    out = _complete({"_LVLMKB_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "lvlmkb sho"})
    assert '"show":"Show one paper' in out
