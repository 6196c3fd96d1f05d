"""Options and error handling shared by every command."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from lvlmkb.errors import LvlmkbError, ValidationFailedError
from lvlmkb.project import Project, find_root

P = ParamSpec("P")
R = TypeVar("R")

RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="Knowledge-base checkout (default: search upwards from the current folder).",
        file_okay=False,
        show_default=False,
    ),
]


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Print :class:`LvlmkbError` cleanly on stderr and exit with its code; other errors keep their traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except LvlmkbError as err:
            if isinstance(err, ValidationFailedError):
                for diagnostic in err.diagnostics[:20]:
                    print(diagnostic.render(), file=sys.stderr)
            print(f"error: {err.message}", file=sys.stderr)
            if err.hint:
                print(f"  hint: {err.hint}", file=sys.stderr)
            raise typer.Exit(err.exit_code) from None

    return wrapper


def project_for(root: Path | None) -> Project:
    """Resolve the checkout for ``--root``, or search upwards from the current folder."""
    return find_root(explicit=root)
