"""Help text in the user's words: value placeholders instead of Python type names.

typer shows each option's Python type (``<list[str]>``, ``<int range>``, ``<str>``). lvlmkb's help shows
what to type instead (``TEXT``, ``N``, ``PATH``), through typer's one hook for it, ``display_type``;
an option with an explicit ``metavar`` keeps it.
"""

from __future__ import annotations

import re
from typing import Any

from typer import core

_PLAIN = {
    "str": "TEXT",
    "int": "N",
    "int range": "N",
    "float": "NUMBER",
    "float range": "NUMBER",
    "path": "PATH",
    "dir": "DIR",
    "file": "FILE",
    "bool": "BOOL",
    "datetime": "DATE",
}


def plain_label(typed: str) -> str:
    """``<list[str]>`` -> ``TEXT...``; ``<int range>`` -> ``N``; choices ``<a|b>`` stay as they are."""
    label = typed.strip("<>")
    repeated = re.fullmatch(r"list\[(.+)\]", label)
    inner = repeated.group(1) if repeated else label
    shown = _PLAIN.get(inner, inner)
    return f"{shown}..." if repeated else shown


def install() -> None:
    """Replace typer's type labels in help output (idempotent; skipped if typer changes the hook)."""
    parameter: Any = getattr(core, "_TyperParameter", None)
    original = getattr(parameter, "display_type", None)
    if original is None or getattr(original, "_lvlmkb", False):
        return

    def display_type(self: Any, ctx: Any) -> str:
        return plain_label(str(original(self, ctx)))

    display_type._lvlmkb = True  # type: ignore[attr-defined]
    parameter.display_type = display_type
