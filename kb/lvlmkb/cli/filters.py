"""The paper filters shared by ``lvlmkb list`` and ``lvlmkb export``, and KB loading for read-only commands."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lvlmkb.cli.common import project_for

if TYPE_CHECKING:
    from lvlmkb.kb.criteria import PaperFilter
    from lvlmkb.kb.index import Index
    from lvlmkb.kb.knowledge import KnowledgeBase

KindOption = Annotated[str | None, typer.Option(help="attack, defense or evaluation.")]
PhaseOption = Annotated[str | None, typer.Option(help="inference or training.")]
CategoryOption = Annotated[str | None, typer.Option(help="A taxonomy node; its whole subtree matches.")]
FacetOption = Annotated[list[str] | None, typer.Option(help="FACET=VALUE, repeatable, e.g. access=black-box.")]
TagOption = Annotated[list[str] | None, typer.Option(help="Tag (any case), repeatable.")]
YearOption = Annotated[int | None, typer.Option(help="Venue year.")]
VenueOption = Annotated[str | None, typer.Option(help="Substring of the venue.")]
SearchOption = Annotated[str | None, typer.Option(help="Substring of id, title, authors, summary or tags.")]
HasCodeOption = Annotated[bool | None, typer.Option("--has-code/--no-code", help="Only papers with (or without) code.")]
ReproducibleOption = Annotated[
    bool | None,
    typer.Option("--reproducible/--not-reproducible", help="Only papers with (or without) a reproduction."),
]


class SortOrder(StrEnum):
    """Orders of ``lvlmkb list``."""

    date = "date"
    citations = "citations"


SortOption = Annotated[
    SortOrder,
    typer.Option("--sort", help="date (newest first) or citations (most cited first, papers without a count last)."),
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
    from lvlmkb.kb.criteria import PaperFilter

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
    from lvlmkb.kb.validate import open_kb

    kb, diagnostics = open_kb(project_for(root))
    _warn(sum(d.severity == "error" for d in diagnostics))
    return kb


def index_for_query(root: Path | None) -> Index:
    """The compiled index for a read-only command (rebuilt first when the KB changed).

    A broken checkout still answers on the papers that loaded, with the same warning on stderr.
    """
    from lvlmkb.kb.index import open_index

    index = open_index(project_for(root))
    _warn(index.error_count)
    return index


def _warn(errors: int) -> None:
    if errors:
        print(f"warning: the knowledge base has {errors} problem(s); run `lvlmkb validate`", file=sys.stderr)
