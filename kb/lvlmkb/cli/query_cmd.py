"""Read-only query commands: ``list``, ``show``, ``stats`` and ``graph``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lvlmkb.cli.common import RootOption, handle_errors, project_for
from lvlmkb.cli.validate_cmd import OutputFormat

if TYPE_CHECKING:
    from lvlmkb.kb import KnowledgeBase


class GraphFormat(StrEnum):
    """Serialisations of the KB graph."""

    graphml = "graphml"
    json = "json"


def _load(root: Path | None) -> KnowledgeBase:
    from lvlmkb.validate import open_kb

    kb, diagnostics = open_kb(project_for(root))
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        print(f"warning: the knowledge base has {len(errors)} problem(s); run `lvlmkb validate`", file=sys.stderr)
    return kb


@handle_errors
def list_command(
    root: RootOption = None,
    kind: Annotated[str | None, typer.Option(help="attack, defense or evaluation.")] = None,
    phase: Annotated[str | None, typer.Option(help="inference or training.")] = None,
    category: Annotated[str | None, typer.Option(help="A taxonomy node; its whole subtree matches.")] = None,
    facet: Annotated[list[str] | None, typer.Option(help="FACET=VALUE, repeatable, e.g. access=black-box.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag, repeatable.")] = None,
    year: Annotated[int | None, typer.Option(help="Venue year.")] = None,
    venue: Annotated[str | None, typer.Option(help="Substring of the venue.")] = None,
    search: Annotated[str | None, typer.Option(help="Substring of id, title, authors, summary or tags.")] = None,
    has_code: Annotated[
        bool | None, typer.Option("--has-code/--no-code", help="Only papers with (or without) code.")
    ] = None,
    reproducible: Annotated[
        bool | None,
        typer.Option("--reproducible/--not-reproducible", help="Only papers with (or without) a reproduction."),
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text (a table) or json.")] = OutputFormat.text,
) -> None:
    """List papers, newest first, filtered by taxonomy, facets and metadata."""
    from lvlmkb.query import PaperFilter, select
    from lvlmkb.render.terminal import paper_table

    kb = _load(root)
    criteria = PaperFilter(
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

    kb = _load(root)
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

    kb = _load(root)
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

    text = export_graph(_load(root), output.value)
    if out is None:
        typer.echo(text, nl=False)
        return
    from lvlmkb.fsio import write_atomic

    write_atomic(out, text)
    typer.echo(f"wrote {out}", err=True)
