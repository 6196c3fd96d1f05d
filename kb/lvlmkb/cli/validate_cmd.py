"""``lvlmkb validate`` and ``lvlmkb schema``."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from lvlmkb.cli.common import RootOption, handle_errors, project_for


class OutputFormat(StrEnum):
    """Output formats of the checking commands."""

    text = "text"
    json = "json"


@handle_errors
def validate_command(
    root: RootOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
    plugins: Annotated[
        bool,
        typer.Option("--plugins", help="Also import the checkout's plugins and check them, their datasets and suites."),
    ] = False,
) -> None:
    """Check every taxonomy, model and paper file; report all problems at once (exit 1 if any).

    With --plugins, also import the checkout's plugins (which runs their code) and check each against the KB:
    its paper lists it, its default dataset has the fields it reads, its judges exist; suites and datasets
    name known papers, methods and judges.

    Example: lvlmkb validate --plugins --format json
    """
    import dataclasses

    from lvlmkb.kb.validate import validate

    report = validate(project_for(root))
    if plugins:
        from lvlmkb.eval.checks import plugin_diagnostics

        report = dataclasses.replace(report, diagnostics=[*report.diagnostics, *plugin_diagnostics(report.kb)])
    if output is OutputFormat.json:
        payload = {
            "ok": report.ok,
            "summary": report.summary(),
            "papers": len(report.kb.papers),
            "diagnostics": [d.as_dict() for d in report.diagnostics],
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for diagnostic in report.diagnostics:
            typer.echo(diagnostic.render())
        typer.echo(report.summary(), err=not report.ok)
    if not report.ok:
        raise typer.Exit(1)


@handle_errors
def schema_command(
    root: RootOption = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if a committed schema is stale.")] = False,
) -> None:
    """Write JSON Schema files for papers, taxonomy and models next to the data they describe.

    Example: lvlmkb schema --check
    """
    from lvlmkb.kb.schema_export import schema_files, write_schemas

    project = project_for(root)
    if check:
        stale = [f.path.relative_to(project.root).as_posix() for f in schema_files(project) if not f.fresh]
        if stale:
            typer.echo(f"stale schema files: {', '.join(stale)}; run `lvlmkb schema`", err=True)
            raise typer.Exit(1)
        typer.echo("schema files are up to date")
        return
    written = write_schemas(project)
    for path in written:
        typer.echo(f"wrote {path.relative_to(project.root).as_posix()}")
    if not written:
        typer.echo("schema files are up to date")
