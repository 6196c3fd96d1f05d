"""Checking a value given on the command line against its vocabulary, with a did-you-mean hint."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from lvlmkb.errors import UsageError

MAX_LISTED = 12


def match_choice(value: str, choices: Iterable[str]) -> str | None:
    """The choice that ``value`` names, compared case-folded; None when there is none."""
    folded = value.casefold()
    return next((choice for choice in choices if choice.casefold() == folded), None)


def suggestions(value: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices closest to ``value`` (compared case-folded), best first."""
    folded: dict[str, str] = {}
    for choice in choices:
        folded.setdefault(choice.casefold(), choice)
    return [folded[m] for m in difflib.get_close_matches(value.casefold(), list(folded), n=n, cutoff=0.6)]


def choice_hint(what: str, value: str, choices: Iterable[str], where: str = "") -> str:
    """``did you mean 'x'?`` when a choice is close to ``value``; else the choices, or where to find them."""
    allowed = sorted(set(choices))
    close = suggestions(value, allowed)
    if close:
        return f"did you mean {' or '.join(repr(c) for c in close)}?"
    if not allowed:
        return f"there is no {what} yet"
    if len(allowed) <= MAX_LISTED:
        return f"choose one of: {', '.join(allowed)}"
    return f"see {where}" if where else f"there are {len(allowed)} of them"


def choice_problem(what: str, value: str, choices: Iterable[str], where: str = "", exact: bool = False) -> str | None:
    """One line (``unknown kind 'attacks'; did you mean 'attack'?``) when ``value`` is not a choice, else None.

    Choices match case-insensitively unless ``exact`` (for a value that is written to a file as given).
    """
    allowed = list(choices)
    if (value in allowed) if exact else (match_choice(value, allowed) is not None):
        return None
    return f"unknown {what} '{value}'; {choice_hint(what, value, allowed, where)}"


def check_choice(what: str, value: str, choices: Iterable[str], where: str = "") -> str:
    """Return the choice that ``value`` names (matched case-insensitively).

    Raises:
        UsageError: ``value`` is not a choice; the hint suggests the closest ones.
    """
    allowed = list(choices)
    found = match_choice(value, allowed)
    if found is None:
        raise UsageError(f"unknown {what} '{value}'", choice_hint(what, value, allowed, where))
    return found
