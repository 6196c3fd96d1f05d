"""``lvlmkb export`` (BibTeX, CSV, JSON, SQLite; from the compiled index) and ``lvlmkb gaps`` (what the KB lacks)."""

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
    TagOption,
    VenueOption,
    YearOption,
    index_for_query,
    load_for_query,
    paper_filter,
)
from lvlmkb.cli.validate_cmd import OutputFormat


class ExportFormat(StrEnum):
    """Formats of ``lvlmkb export``."""

    bibtex = "bibtex"
    csv = "csv"
    json = "json"
    sqlite = "sqlite"


@handle_errors
def export_command(
    output: Annotated[ExportFormat, typer.Argument(metavar="FORMAT", help="bibtex, csv, json or sqlite.")],
    root: RootOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.", dir_okay=False)
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out file.")] = False,
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
) -> None:
    """Export papers (all, or those matching the `lvlmkb list` filters) as BibTeX, CSV or JSON, in id order.

    `sqlite` writes the whole compiled index (papers, tags, facets, relations, taxonomy, full-text table)
    to --out, for Datasette or any SQL tool.

    Example: lvlmkb export bibtex --kind defense --out defenses.bib
    """
    criteria = paper_filter(kind, phase, category, facet, tag, year, venue, search, has_code, reproducible)
    if output is ExportFormat.sqlite:
        _export_sqlite(root, out, force, criteria.is_empty())
        return
    text = index_for_query(root).export(criteria, output.value)
    if out is None:
        typer.echo(text, nl=False)
        return
    _write(out, text, force)
    typer.echo(f"wrote {out}", err=True)


def _export_sqlite(root: Path | None, out: Path | None, force: bool, unfiltered: bool) -> None:
    from lvlmkb.errors import UsageError
    from lvlmkb.kb.index.dump import export_database

    if out is None:
        raise UsageError("export sqlite needs --out FILE", "e.g. lvlmkb export sqlite --out kb.sqlite")
    if not unfiltered:
        raise UsageError("export sqlite writes the whole knowledge base", "drop the filters (query the file with SQL)")
    export_database(index_for_query(root), out, force)
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
    """Report what the KB lacks: undefended attack families, untested defenses, reproductions and metadata.

    Example: lvlmkb gaps --format json
    """
    from lvlmkb.kb.gaps import find_gaps, format_report

    report = find_gaps(load_for_query(root))
    if output is OutputFormat.json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        return
    typer.echo(format_report(report), nl=False)
