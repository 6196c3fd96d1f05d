"""Read-only query commands: ``list``, ``show``, ``stats`` and ``graph``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lvlmkb.cli.common import RootOption, handle_errors
from lvlmkb.cli.filters import (
    CategoryOption,
    FacetOption,
    HasCodeOption,
    KindOption,
    PhaseOption,
    ReproducibleOption,
    SearchOption,
    TagOption,
    VenueOption,
    YearOption,
    load_for_query,
    paper_filter,
)
from lvlmkb.cli.validate_cmd import OutputFormat

if TYPE_CHECKING:
    pass


class GraphFormat(StrEnum):
    """Serialisations of the KB graph."""

    graphml = "graphml"
    json = "json"


@handle_errors
def list_command(
    root: RootOption = None,
    kind: KindOption = None,
    phase: PhaseOption = None,
    category: CategoryOption = None,
    facet: FacetOption = None,
    tag: TagOption = None,
    year: YearOption = None,
    venue: VenueOption = None,
    search: SearchOption = None,
    has_code: HasCodeOption = None,
    reproducible: ReproducibleOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text (a table) or json.")] = OutputFormat.text,
) -> None:
    """List papers, newest first, filtered by taxonomy, facets and metadata."""
    from lvlmkb.query import select
    from lvlmkb.render.terminal import paper_table

    kb = load_for_query(root)
    criteria = paper_filter(kind, phase, category, facet, tag, year, venue, search, has_code, reproducible)
    papers = select(kb, criteria)
    if output is OutputFormat.json:
        typer.echo(
            json.dumps([p.model_dump(mode="json", exclude_defaults=True) for p in papers], indent=2, ensure_ascii=False)
        )
        return
    paper_table(papers)


@handle_errors
def show_command(
    paper_id: Annotated[str, typer.Argument(metavar="ID", help="Paper id (the file stem).")],
    root: RootOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """Show one paper with its relations in both directions."""
    from lvlmkb.errors import NotFoundError
    from lvlmkb.query import incoming_relations
    from lvlmkb.render.terminal import paper_panel

    kb = load_for_query(root)
    paper = kb.paper(paper_id)
    if paper is None:
        import difflib

        close = difflib.get_close_matches(paper_id, list(kb.papers), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see `lvlmkb list`"
        raise NotFoundError(f"no paper '{paper_id}'", hint)
    incoming = incoming_relations(kb, paper_id)
    if output is OutputFormat.json:
        data = paper.model_dump(mode="json", exclude_defaults=True)
        data["referenced_by"] = incoming
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    paper_panel(kb, paper, incoming)


@handle_errors
def stats_command(
    root: RootOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """Count papers per taxonomy node, per facet value and per year and kind."""
    from lvlmkb.query import facet_counts, node_counts, year_kind_counts
    from lvlmkb.render.terminal import stats_view

    kb = load_for_query(root)
    if output is OutputFormat.json:
        payload = {
            "papers": len(kb.papers),
            "nodes": node_counts(kb),
            "facets": facet_counts(kb),
            "years": {str(y): row for y, row in year_kind_counts(kb).items()},
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    stats_view(kb)


@handle_errors
def graph_command(
    root: RootOption = None,
    output: Annotated[GraphFormat, typer.Option("--format", help="graphml or json (node-link).")] = GraphFormat.json,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.", dir_okay=False)
    ] = None,
) -> None:
    """Export papers, taxonomy nodes, models and relations as one graph."""
    from lvlmkb.graph import export_graph

    text = export_graph(load_for_query(root), output.value)
    if out is None:
        typer.echo(text, nl=False)
        return
    from lvlmkb.fsio import write_atomic

    write_atomic(out, text)
    typer.echo(f"wrote {out}", err=True)
