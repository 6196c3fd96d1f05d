"""``lvlmkb completion SHELL``: the shell's tab-completion script, from typer's own completion support.

Typer's ``--install-completion`` option is left off (it would sit on every command and guess the
shell); this command prints the script for a named shell, and :func:`enable_if_requested` registers
typer's completion classes only when the shell asks for completions (``_LVLMKB_COMPLETE`` is set),
so a normal start pays nothing for it.
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

import typer

COMPLETE_VAR = "_LVLMKB_COMPLETE"
Shell = Literal["bash", "zsh", "fish"]


def enable_if_requested() -> None:
    """Register typer's completion classes when the shell is asking for completions."""
    if COMPLETE_VAR in os.environ:
        from typer._completion_classes import completion_init  # re-exported (implicitly) by typer.completion

        completion_init()


def completion_command(
    shell: Annotated[Shell, typer.Argument(help="The shell to complete in.")],
) -> None:
    """Print the tab-completion script for SHELL.

    Examples:
      lvlmkb completion bash >> ~/.bashrc
      lvlmkb completion zsh > "${fpath[1]}/_lvlmkb"
      lvlmkb completion fish > ~/.config/fish/completions/lvlmkb.fish
    """
    from typer._completion_shared import get_completion_script  # re-exported (implicitly) by typer.completion

    typer.echo(get_completion_script(prog_name="lvlmkb", complete_var=COMPLETE_VAR, shell=shell))
