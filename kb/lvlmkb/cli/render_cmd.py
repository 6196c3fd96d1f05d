"""``lvlmkb render readme`` and ``lvlmkb site build|serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lvlmkb.cli.common import RootOption, handle_errors, project_for

render_app = typer.Typer(help="Render generated files from the knowledge base.", no_args_is_help=True)
site_app = typer.Typer(help="Build or serve the website (needs: pip install 'lvlmkb[site]').", no_args_is_help=True)


@render_app.command("readme")
@handle_errors
def render_readme(
    root: RootOption = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if README.md is stale; write nothing.")] = False,
) -> None:
    """Write the paper list into README.md between its markers (hand-written parts stay as they are).

    Example: lvlmkb render readme --check
    """
    from lvlmkb.kb.validate import open_kb
    from lvlmkb.publish.readme import readme_status, write_readme

    kb, _ = open_kb(project_for(root), strict=True)
    if check:
        if not readme_status(kb).fresh:
            typer.echo("README is stale: run `lvlmkb render readme`", err=True)
            raise typer.Exit(1)
        typer.echo("README is up to date")
        return
    typer.echo("wrote README.md" if write_readme(kb) else "README is up to date")


OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Output folder (default: build/site in the checkout).", file_okay=False),
]


@site_app.command("build")
@handle_errors
def site_build(
    root: RootOption = None,
    out: OutOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on MkDocs warnings.")] = False,
) -> None:
    """Write the KB pages and build the static site with MkDocs Material.

    Example: lvlmkb site build --out public
    """
    from lvlmkb.publish.site.build import build_site

    result = build_site(project_for(root), out=out, strict=strict)
    typer.echo(f"built {result.pages} pages in {result.seconds:.1f} s: open {result.index}")


@site_app.command("serve")
@handle_errors
def site_serve(
    root: RootOption = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
) -> None:
    """Build the site, then serve it on http://127.0.0.1:PORT until interrupted (the port is bound first).

    Example: lvlmkb site serve --port 8000
    """
    from lvlmkb.publish.site.build import bind_server, build_site, default_site_dir, serve_folder

    project = project_for(root)
    server = bind_server(port, default_site_dir(project))
    try:
        result = build_site(project)
    except BaseException:
        server.server_close()
        raise
    typer.echo(f"serving {result.out} on http://127.0.0.1:{port}/ (Ctrl-C stops)")
    serve_folder(server)
