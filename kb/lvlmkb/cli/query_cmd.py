"""Read-only query commands: ``list``, ``search``, ``show`` and ``stats`` (from the compiled index), and ``graph``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

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
    SortOption,
    SortOrder,
    TagOption,
    VenueOption,
    YearOption,
    index_for_query,
    load_for_query,
    paper_filter,
)
from lvlmkb.cli.validate_cmd import OutputFormat


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
    sort: SortOption = SortOrder.date,
    output: Annotated[OutputFormat, typer.Option("--format", help="text (a table) or json.")] = OutputFormat.text,
) -> None:
    """List papers, newest first, filtered by taxonomy, facets and metadata.

    Example: lvlmkb list --kind attack --facet access=black-box --year 2024 --sort citations
    """
    criteria = paper_filter(kind, phase, category, facet, tag, year, venue, search, has_code, reproducible)
    index = index_for_query(root)
    if output is OutputFormat.json:
        typer.echo(json.dumps(index.records(criteria, sort.value), indent=2, ensure_ascii=False))
        return
    from lvlmkb.publish.views import print_paper_table

    print_paper_table(index.list_rows(criteria, sort.value))


@handle_errors
def search_command(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="Words to find in titles, summaries, authors and tags.")],
    root: RootOption = None,
    kind: KindOption = None,
    phase: PhaseOption = None,
    category: CategoryOption = None,
    facet: FacetOption = None,
    tag: TagOption = None,
    year: YearOption = None,
    venue: VenueOption = None,
    has_code: HasCodeOption = None,
    reproducible: ReproducibleOption = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many papers.")] = 20,
    output: Annotated[OutputFormat, typer.Option("--format", help="text (a table) or json.")] = OutputFormat.text,
) -> None:
    """Full-text search (title, summary, authors, tags), best match first; takes the filters of `list`.

    Example: lvlmkb search "typographic jailbreak" --kind attack --limit 5
    """
    criteria = paper_filter(kind, phase, category, facet, tag, year, venue, None, has_code, reproducible)
    index = index_for_query(root)
    ids = index.search(text, criteria, limit)
    if output is OutputFormat.json:
        typer.echo(json.dumps(index.rows_for(ids, "record"), indent=2, ensure_ascii=False))
        return
    from lvlmkb.publish.views import print_paper_table

    print_paper_table(index.rows_for(ids, "list_row"))


@handle_errors
def show_command(
    paper_id: Annotated[str, typer.Argument(metavar="ID", help="Paper id (the file stem).")],
    root: RootOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """Show one paper with its relations in both directions.

    Example: lvlmkb show gong2023figstep
    """
    index = index_for_query(root)
    index.require(paper_id)
    incoming = index.incoming(paper_id)
    if output is OutputFormat.json:
        data = index.record(paper_id)
        data["referenced_by"] = incoming
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    from lvlmkb.publish.views import print_panel

    print_panel(index.panel(paper_id), incoming)


@handle_errors
def stats_command(
    root: RootOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """Count papers per taxonomy node, per facet value and per year and kind.

    Example: lvlmkb stats --format json
    """
    index = index_for_query(root)
    if output is OutputFormat.json:
        typer.echo(json.dumps(index.stats_json(), indent=2))
        return
    from lvlmkb.publish.views import print_stats

    print_stats(index.stats_view())


@handle_errors
def graph_command(
    root: RootOption = None,
    output: Annotated[GraphFormat, typer.Option("--format", help="graphml or json (node-link).")] = GraphFormat.json,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.", dir_okay=False)
    ] = None,
) -> None:
    """Export papers, taxonomy nodes, models and relations as one graph.

    Example: lvlmkb graph --format graphml --out kb.graphml
    """
    from lvlmkb.kb.graph import export_graph

    text = export_graph(load_for_query(root), output.value)
    if out is None:
        typer.echo(text, nl=False)
        return
    from lvlmkb.fsio import write_atomic

    write_atomic(out, text)
    typer.echo(f"wrote {out}", err=True)
