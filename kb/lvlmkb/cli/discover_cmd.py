"""``lvlmkb discover``: search arXiv for candidate papers and merge them into queue/discovered.yaml."""

from __future__ import annotations

from typing import Annotated

import typer

from lvlmkb.cli.common import RootOption, handle_errors, project_for


@handle_errors
def discover_command(
    since: Annotated[
        str | None, typer.Option(help="First submission day, YYYY-MM-DD (default: the queue's last run, else 30 days).")
    ] = None,
    query: Annotated[str | None, typer.Option(help="Also require this phrase (title, abstract, comments).")] = None,
    max_results: Annotated[int, typer.Option("--max", help="At most this many arXiv results (1-2000).")] = 100,
    root: RootOption = None,
) -> None:
    """Find new candidate papers on arXiv, score them with the suggestion rules, and queue them for review.

    Example: lvlmkb discover --since 2025-06-01 --max 50
    """
    from lvlmkb import clock, netio
    from lvlmkb.errors import relpath
    from lvlmkb.kb.discover.run import discover
    from lvlmkb.kb.validate import open_kb

    project = project_for(root)
    kb, _ = open_kb(project)
    http = netio.open_http()
    try:
        report = discover(kb, http, clock.today(), since, query, max_results)
    finally:
        http.client.close()
    typer.echo(f"searched arXiv from {report.since}: {report.fetched} result(s)")
    typer.echo(
        f"skipped: {report.known} known, {report.excluded} excluded, {report.withdrawn} withdrawn,"
        f" {report.invalid} unusable"
    )
    typer.echo(f"{relpath(report.path, project.root)}: {report.new} new, {report.refreshed} refreshed")
    for item in report.top:
        category = item.suggested.category if item.suggested else "-"
        typer.echo(f"  {item.score:6.1f}  {item.arxiv}  {category}  {item.title}")
