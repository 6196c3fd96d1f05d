"""One spelling per venue: ``NAME'YY`` plus an optional qualifier (``NeurIPS'24 Workshop``, ``arXiv'25``).

The source lists write the same venue many ways (``NeurIPs2023``, ``ICLR 2025``, ``Arxiv2025``);
:func:`normalise_venue` maps them to the KB's form, and the contract tests keep every file in it.
"""

from __future__ import annotations

import re

CANONICAL_NAMES = {
    "arxiv": "arXiv",
    "neurips": "NeurIPS",
    "acmmm": "MM",
    "mm": "MM",
    "colingworkshop": "COLING Workshop",
    "s&p": "S&P",
    "usenix security": "USENIX Security",
}
_VENUE = re.compile(r"^(?P<name>.+?)\s*'?\s*(?:20)?(?P<yy>\d{2})(?P<rest>(?:\s.*)?)$")
_WORD = r"[A-Za-z][\w-]*"
_NAME_THEN_QUALIFIER_YEAR = re.compile(rf"^(?P<name>\S+)\s+(?P<qual>{_WORD}(?:\s{_WORD})*)\s+20(?P<yy>\d{{2}})$")
CANONICAL = re.compile(r"^[A-Za-z&][\w&. -]*?'\d{2}(?: [A-Z][\w()&. -]*)?$")


def normalise_venue(venue: str) -> str:
    """Return ``venue`` in the KB's ``NAME'YY [qualifier]`` form; unknown shapes come back unchanged."""
    text = " ".join(venue.split())
    qualified = _NAME_THEN_QUALIFIER_YEAR.match(text)
    if qualified and qualified.group("name").lower() not in {"usenix"}:
        name = _canonical_name(qualified.group("name"))
        qualifier = qualified.group("qual")
        if name == "COLING Workshop":
            name, qualifier = "COLING", f"Workshop {qualifier}"
        return f"{name}'{qualified.group('yy')} {qualifier}"
    match = _VENUE.match(text)
    if match is None:
        return text
    name = _canonical_name(match.group("name"))
    rest = match.group("rest").strip()
    if name.endswith(" Workshop"):
        name, rest = name.removesuffix(" Workshop"), f"Workshop {rest}".strip()
    return f"{name}'{match.group('yy')}" + (f" {rest}" if rest else "")


def _canonical_name(name: str) -> str:
    key = name.strip().lower()
    return CANONICAL_NAMES.get(key, name.strip())


def is_canonical(venue: str) -> bool:
    """True when ``venue`` is already in the KB's form."""
    return normalise_venue(venue) == venue and bool(CANONICAL.match(venue))


_YEAR_OF_VENUE = re.compile(r"'(?P<yy>\d{2})(?:\s|$)")


def venue_year(venue: str) -> int | None:
    """The year a canonical venue names (``CVPR'25`` -> 2025), or None when it names none."""
    match = _YEAR_OF_VENUE.search(venue)
    return 2000 + int(match.group("yy")) if match else None
