"""Diagnostics and the error hierarchy shared by the core and the CLI.

The core never prints: it returns :class:`Diagnostic` lists for data problems and raises
:class:`LvlmkbError` subclasses (each with a hint) for conditions that stop a command.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in the knowledge base, reported compiler style."""

    path: str
    line: int
    field: str
    message: str
    severity: str = dataclasses.field(default="error", compare=False)

    def render(self) -> str:
        """Return ``path:line: field: message`` on one line (line omitted when unknown).

        Characters that would break the line or hide text (newlines, controls, separators) are
        shown escaped, the way Python's ``ascii()`` writes them.
        """
        where = f"{self.path}:{self.line}" if self.line > 0 else self.path
        subject = f" {self.field}:" if self.field else ""
        level = " warning:" if self.severity == "warning" else ""
        return _printable(f"{where}:{subject}{level} {self.message}")

    def as_dict(self) -> dict[str, str | int]:
        """Return a JSON-ready mapping."""
        return {
            "path": self.path,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "severity": self.severity,
        }


def _printable(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


class LvlmkbError(Exception):
    """An expected failure that the CLI reports without a traceback.

    ``exit_code`` follows the convention 1 = problem found, 2 = usage error.
    """

    exit_code: int = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(LvlmkbError):
    """The command line asked for something that cannot be done as stated."""

    exit_code = 2


class RootNotFoundError(UsageError):
    """No knowledge-base checkout (``taxonomy/`` and ``papers/``) was found."""


class NotFoundError(LvlmkbError):
    """A paper, node or model id does not exist."""


class ValidationFailedError(LvlmkbError):
    """The knowledge base has problems; ``diagnostics`` lists all of them."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        errors = sum(d.severity == "error" for d in diagnostics)
        super().__init__(
            f"the knowledge base has {errors} problem(s)",
            "run `lvlmkb validate` to see them all",
        )
        self.diagnostics = diagnostics


def relpath(path: Path, root: Path) -> str:
    """Return ``path`` relative to ``root`` when possible, as a POSIX string."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
