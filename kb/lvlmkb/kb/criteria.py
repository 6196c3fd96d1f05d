"""The criteria of ``lvlmkb list`` and friends, kept free of heavy imports (the index answers them too)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lvlmkb.errors import UsageError

SORT_ORDERS = ("date", "citations")
"""``date``: newest first (the default); ``citations``: most cited first, papers without a count last."""


@dataclass(frozen=True)
class PaperFilter:
    """Criteria of ``lvlmkb list``; every criterion given must hold."""

    kind: str | None = None
    phase: str | None = None
    category: str | None = None
    facets: tuple[str, ...] = ()
    year: int | None = None
    venue: str | None = None
    text: str | None = None
    has_code: bool | None = None
    reproducible: bool | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    def is_empty(self) -> bool:
        """True when no criterion is given (every paper matches)."""
        return self == PaperFilter()


def parse_facet(spec: str) -> tuple[str, str]:
    """Split ``access=white-box`` into its facet and value."""
    facet, sep, value = spec.partition("=")
    if not sep or not facet.strip() or not value.strip():
        raise UsageError(f"bad facet filter '{spec}'", "write it as FACET=VALUE, e.g. access=black-box")
    return facet.strip(), value.strip()
