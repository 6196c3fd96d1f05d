"""``lvlmkb export`` (BibTeX, CSV, JSON) and ``lvlmkb gaps`` (what the knowledge base lacks)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lvlmkb.cli.common import RootOption, handle_errors
from lvlmkb.cli.query_cmd import _load
from lvlmkb.cli.validate_cmd import OutputFormat


class ExportFormat(StrEnum):
    """Formats of ``lvlmkb export``."""

    bibtex = "bibtex"
    csv = "csv"
    json = "json"


@handle_errors
def export_command(
    output: Annotated[ExportFormat, typer.Argument(metavar="FORMAT", help="bibtex, csv or json.")],
    root: RootOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.", dir_okay=False)
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out file.")] = False,
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
) -> None:
    """Export papers (all, or those matching the `lvlmkb list` filters) as BibTeX, CSV or JSON, in id order."""
    from lvlmkb.export import export_papers
    from lvlmkb.query import PaperFilter, select

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
    text = export_papers(select(_load(root), criteria), output.value)
    if out is None:
        typer.echo(text, nl=False)
        return
    _write(out, text, force)
    typer.echo(f"wrote {out}", err=True)


def _write(out: Path, text: str, force: bool) -> None:
    from lvlmkb.errors import UsageError
    from lvlmkb.fsio import write_atomic, write_new

    if out.is_dir():
        raise UsageError(f"{out} is a folder", "pass a file path to --out")
    if force:
        write_atomic(out, text)
        return
    try:
        write_new(out, text)
    except FileExistsError:
        raise UsageError(f"{out} already exists", "pass --force to overwrite it, or choose another --out") from None


@handle_errors
def gaps_command(
    root: RootOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """Report what the KB lacks: undefended attack families, untested defenses, reproductions and metadata."""
    from lvlmkb.gaps import find_gaps, format_report

    report = find_gaps(_load(root))
    if output is OutputFormat.json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        return
    typer.echo(format_report(report), nl=False)
