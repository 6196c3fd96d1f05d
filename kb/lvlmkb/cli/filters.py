"""The paper filters shared by ``lvlmkb list`` and ``lvlmkb export``, and KB loading for read-only commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lvlmkb.cli.common import project_for

if TYPE_CHECKING:
    from lvlmkb.kb import KnowledgeBase
    from lvlmkb.query import PaperFilter

KindOption = Annotated[str | None, typer.Option(help="attack, defense or evaluation.")]
PhaseOption = Annotated[str | None, typer.Option(help="inference or training.")]
CategoryOption = Annotated[str | None, typer.Option(help="A taxonomy node; its whole subtree matches.")]
FacetOption = Annotated[list[str] | None, typer.Option(help="FACET=VALUE, repeatable, e.g. access=black-box.")]
TagOption = Annotated[list[str] | None, typer.Option(help="Tag, repeatable.")]
YearOption = Annotated[int | None, typer.Option(help="Venue year.")]
VenueOption = Annotated[str | None, typer.Option(help="Substring of the venue.")]
SearchOption = Annotated[str | None, typer.Option(help="Substring of id, title, authors, summary or tags.")]
HasCodeOption = Annotated[bool | None, typer.Option("--has-code/--no-code", help="Only papers with (or without) code.")]
ReproducibleOption = Annotated[
    bool | None,
    typer.Option("--reproducible/--not-reproducible", help="Only papers with (or without) a reproduction."),
]


def paper_filter(
    kind: str | None = None,
    phase: str | None = None,
    category: str | None = None,
    facet: list[str] | None = None,
    tag: list[str] | None = None,
    year: int | None = None,
    venue: str | None = None,
    search: str | None = None,
    has_code: bool | None = None,
    reproducible: bool | None = None,
) -> PaperFilter:
    """The criteria of the shared filter options."""
    from lvlmkb.query import PaperFilter

    return PaperFilter(
        kind=kind,
        phase=phase,
        category=category,
        facets=tuple(facet or ()),
        year=year,
        venue=venue,
        text=search,
        has_code=has_code,
        reproducible=reproducible,
        tags=tuple(tag or ()),
    )


def load_for_query(root: Path | None) -> KnowledgeBase:
    """The KB for a read-only command; a broken checkout still answers, with a warning on stderr."""
    from lvlmkb.validate import open_kb

    kb, diagnostics = open_kb(project_for(root))
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        print(f"warning: the knowledge base has {len(errors)} problem(s); run `lvlmkb validate`", file=sys.stderr)
    return kb
