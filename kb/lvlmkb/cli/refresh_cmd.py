"""``lvlmkb refresh``: re-check entries online; show the diff, write it only with ``--write``."""

from __future__ import annotations

from typing import Annotated

import typer

from lvlmkb.cli.common import RootOption, handle_errors, project_for


@handle_errors
def refresh_command(
    ids: Annotated[list[str] | None, typer.Argument(help="Paper ids (default: every entry).")] = None,
    write: Annotated[bool, typer.Option("--write", help="Write the changes (default: only show them).")] = False,
    check: Annotated[
        list[str] | None,
        typer.Option("--check", help="Run only this check: arxiv, venue, citations or code (repeatable)."),
    ] = None,
    diff: Annotated[bool, typer.Option("--diff/--no-diff", help="Show the diff of each file.")] = True,
    root: RootOption = None,
) -> None:
    """Re-check entries: newer arXiv versions, DBLP venues, citation counts, code links (human edits kept).

    Example: lvlmkb refresh gong2023figstep --check venue
    """
    from lvlmkb import clock, netio
    from lvlmkb.kb.refresh.report import report_lines
    from lvlmkb.kb.refresh.run import CHECKS, refresh
    from lvlmkb.kb.validate import open_kb

    kb, _ = open_kb(project_for(root))
    http = netio.open_http()
    try:
        report = refresh(
            kb, http, clock.today(), ids or [], check or CHECKS, write, log=lambda m: typer.echo(m, err=True)
        )
    finally:
        http.client.close()
    for line in report_lines(report, write, show_diff=diff):
        typer.echo(line)
