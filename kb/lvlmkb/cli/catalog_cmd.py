"""``lvlmkb judges``, ``datasets``, ``suites`` and ``runs``: what the engine judges, loads, groups and has run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lvlmkb.cli.common import RootOption, handle_errors, project_for
from lvlmkb.cli.validate_cmd import OutputFormat
from lvlmkb.errors import NotFoundError

if TYPE_CHECKING:
    from lvlmkb.eval.run.records import RunRecord

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="text or json.")]


@handle_errors
def judges_command(output: FormatOption = OutputFormat.text) -> None:
    """List every judge with its kind and what it is (its full card is on the site's Judges page).

    Example: lvlmkb judges --format json
    """
    from lvlmkb.eval.judges.cards import JUDGE_CARDS
    from lvlmkb.eval.judges.registry import default_registry

    registry = default_registry()
    payload = [
        {"id": judge_id, **JUDGE_CARDS.get(judge_id, {}), "settings": registry.settings_keys(judge_id)}
        for judge_id in registry.ids()
    ]
    if output is OutputFormat.json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for item in payload:
        settings = f"  (--judge-set {', '.join(item['settings'])})" if item["settings"] else ""
        typer.echo(f"{item['id']:34} {item.get('kind', '-'):12} {item.get('name', '')}{settings}")


@handle_errors
def suites_command(root: RootOption = None, output: FormatOption = OutputFormat.text) -> None:
    """List every suite: its paper and its parts (benchmark, setting, method, judge).

    Example: lvlmkb suites --format json
    """
    from lvlmkb.eval.registry import suites as load_suites

    suites = load_suites(project_for(root).reproductions_dir)
    if output is OutputFormat.json:
        typer.echo(json.dumps([s.model_dump(mode="json") for s in suites.values()], indent=2, ensure_ascii=False))
        return
    for suite in suites.values():
        typer.echo(f"{suite.id}  ({len(suite.parts)} parts, paper {suite.paper}): {suite.title}")
        for part in suite.parts:
            fallback = f" (without --judge-model: {part.fallback_judge})" if part.fallback_judge else ""
            typer.echo(f"    {part.benchmark} {part.setting}: {part.method}, judge {part.judge}{fallback}")


@handle_errors
def datasets_command(root: RootOption = None, output: FormatOption = OutputFormat.text) -> None:
    """List every dataset: its paper, the fields its rows have, and the reproductions that use it by default.

    Example: lvlmkb datasets --format json
    """
    from lvlmkb.eval.plugin import Method
    from lvlmkb.eval.registry import datasets, load_plugins

    plugins = load_plugins(project_for(root).reproductions_dir).values()
    users: dict[str, list[str]] = {}
    for plugin in plugins:
        if issubclass(plugin, Method):
            users.setdefault(plugin.default_dataset, []).append(plugin.id)
    entries = list(datasets().values())
    if output is OutputFormat.json:
        payload = [
            {"name": e.name, "paper": e.paper, "fields": list(e.fields), "default_for": sorted(users.get(e.name, []))}
            for e in entries
        ]
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for e in entries:
        typer.echo(f"{e.name:24} {e.paper or '-':32} {', '.join(sorted(users.get(e.name, []))) or '-'}")
        typer.echo(f"    fields: {', '.join(e.fields)}")


@handle_errors
def judge_agreement_command(
    folders: Annotated[list[Path], typer.Argument(help="Run folders (as `lvlmkb runs` lists them).")],
    output: FormatOption = OutputFormat.text,
) -> None:
    """Compare the judges of finished runs: each judge's ASR and pairwise Cohen's kappa and raw agreement.

    Nothing is generated or judged again. To add judges to a run, `lvlmkb rejudge FOLDER --judge ID`
    (no model call for the target).

    Example: lvlmkb judge-agreement runs/figstep/janus-pro/safebench-1a2b3c4d
    """
    import dataclasses

    from lvlmkb.eval.run.agreement import judge_agreement

    report = judge_agreement(folders)
    if output is OutputFormat.json:
        payload = dataclasses.asdict(report)
        for rate, item in zip(report.judges, payload["judges"], strict=True):
            item["asr"] = rate.asr
        typer.echo(json.dumps(payload, indent=2))
        return
    for rate in report.judges:
        shown = ", ".join(f"{k} {v[:12]}" for k, v in rate.hashes.items()) or "no hash recorded"
        typer.echo(f"{rate.judge:34} ASR {100 * rate.asr:5.1f}% ({rate.successes}/{rate.n}; {shown})")
    for pair in report.pairs:
        kappa = "undefined (a judge gave one verdict only)" if pair.kappa is None else f"{pair.kappa:.3f}"
        typer.echo(f"{pair.first} vs {pair.second}: kappa {kappa}, agreement {100 * pair.agreement:.1f}% over {pair.n}")


runs_app = typer.Typer(no_args_is_help=False)  # its help is the list command's docstring


def _summary(root: Path, folder: Path, record: RunRecord) -> dict[str, Any]:
    return {
        "folder": folder.relative_to(root).as_posix(),
        "method": record.method.id,
        "defense": record.defense.id if record.defense else None,
        "model": record.model.alias,
        "dataset": record.dataset.name,
        "samples": record.counts.samples,
        "created": record.created,
        "asr": {agg.judge: round(100 * agg.overall.asr, 2) for agg in record.aggregates},
    }


@runs_app.callback(invoke_without_command=True)
@handle_errors
def runs_list(ctx: typer.Context, root: RootOption = None, output: FormatOption = OutputFormat.text) -> None:
    """List every run record: method, defense, model, dataset, samples and ASR per judge.

    Example: lvlmkb runs --format json
    """
    if ctx.invoked_subcommand is not None:
        return
    from lvlmkb.eval.run.runs import find_runs

    project = project_for(root)
    runs, unreadable = find_runs(project.root)
    payload = [_summary(project.root, run.folder, run.record) for run in runs]
    if output is OutputFormat.json:
        typer.echo(json.dumps({"runs": payload, "unreadable": unreadable}, indent=2))
        return
    for item in payload:
        asr = ", ".join(f"{judge} {value:.1f}%" for judge, value in item["asr"].items())
        defense = f"+{item['defense']}" if item["defense"] else ""
        typer.echo(f"{item['folder']}  {item['method']}{defense} × {item['model']} on {item['dataset']}: {asr}")
    for path in unreadable:
        typer.echo(f"unreadable: {path}", err=True)
    if not payload:
        typer.echo("no run records under runs/ (run `lvlmkb reproduce` first)", err=True)


@runs_app.command("show")
@handle_errors
def runs_show(
    folder: Annotated[Path, typer.Argument(help="A run folder (or its run.json).")],
    root: RootOption = None,
) -> None:
    """Print one run record as JSON.

    Example: lvlmkb runs show runs/figstep/janus-pro/safebench-1a2b3c4d
    """
    from lvlmkb.eval.run.records import RecordError, read_record

    path = folder / "run.json" if folder.is_dir() else folder
    if not path.is_file() or path.is_symlink():
        raise NotFoundError(f"no run record at {path}", "list them with `lvlmkb runs`")
    try:
        record = read_record(path)
    except (OSError, RecordError) as err:
        raise NotFoundError(f"{path} is not a run record lvlmkb can read", str(err)) from None
    typer.echo(record.model_dump_json(indent=2))
