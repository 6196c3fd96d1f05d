"""The ``lvlmkb`` command line: a thin typer layer over the core.

Command modules import heavy machinery inside their functions, so ``lvlmkb --help`` stays fast
and never imports torch or transformers.
"""

from __future__ import annotations

import typer

from lvlmkb import __version__
from lvlmkb.cli import help_text
from lvlmkb.cli.add_paper_cmd import add_paper_command
from lvlmkb.cli.catalog_cmd import (
    datasets_command,
    judge_agreement_command,
    judges_command,
    runs_app,
    suites_command,
)
from lvlmkb.cli.completion_cmd import completion_command, enable_if_requested
from lvlmkb.cli.discover_cmd import discover_command
from lvlmkb.cli.export_cmd import export_command, gaps_command
from lvlmkb.cli.query_cmd import graph_command, list_command, search_command, show_command, stats_command
from lvlmkb.cli.refresh_cmd import refresh_command
from lvlmkb.cli.rejudge_cmd import rejudge_command
from lvlmkb.cli.render_cmd import render_app, site_app
from lvlmkb.cli.reproduce_cmd import (
    craft_command,
    matrix_command,
    methods_command,
    models_command,
    reproduce_command,
    suite_command,
)
from lvlmkb.cli.stage_cmd import stage_command, stages_command
from lvlmkb.cli.validate_cmd import schema_command, validate_command

help_text.install()
enable_if_requested()

app = typer.Typer(
    name="lvlmkb",
    help="Knowledge base, taxonomy and reproduction workbench for the safety of vision-language models.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lvlmkb {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Knowledge base, taxonomy and reproduction workbench for LVLM safety."""


app.command("validate")(validate_command)
app.command("schema")(schema_command)
app.command("list")(list_command)
app.command("search")(search_command)
app.command("show")(show_command)
app.command("stats")(stats_command)
app.command("graph")(graph_command)
app.command("export")(export_command)
app.command("gaps")(gaps_command)
app.command("reproduce")(reproduce_command)
app.command(
    "run",
    help="Run a reproduction: the same command as `lvlmkb reproduce`, under the shorter name.\n\n"
    "Example: lvlmkb run figstep --model tiny-janus --limit 3",
)(reproduce_command)
app.command("suite")(suite_command)
app.command("matrix")(matrix_command)
app.command("craft")(craft_command)
app.command("stage")(stage_command)
app.command("stages")(stages_command)
app.command("methods")(methods_command)
app.command("models")(models_command)
app.command("add-paper")(add_paper_command)
app.command("refresh")(refresh_command)
app.command("discover")(discover_command)
app.command("judges")(judges_command)
app.command("datasets")(datasets_command)
app.command("suites")(suites_command)
app.command("judge-agreement")(judge_agreement_command)
app.command("rejudge")(rejudge_command)
app.command("completion")(completion_command)
app.add_typer(runs_app, name="runs")
app.add_typer(render_app, name="render")
app.add_typer(site_app, name="site")

__all__ = ["app"]
