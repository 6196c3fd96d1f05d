"""``lvlmkb reproduce`` (and its narrower forms ``suite`` and ``matrix``), ``craft``, ``methods`` and ``models``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lvlmkb.cli.common import RootOption, handle_errors, project_for
from lvlmkb.cli.derived import narrowed
from lvlmkb.cli.role_options import (
    BackendOption,
    BackendSettingOption,
    BaseUrlOption,
    JudgeBackendOption,
    JudgeBackendSettingOption,
    JudgeBaseUrlOption,
    JudgeDeviceOption,
    JudgeDtypeOption,
    JudgeServedModelOption,
    JudgeSetOption,
    ServedModelOption,
    role_backend_options,
    target_backend_options,
)
from lvlmkb.cli.validate_cmd import OutputFormat
from lvlmkb.errors import UsageError
from lvlmkb.eval.overrides import parse_overrides

if TYPE_CHECKING:
    from lvlmkb.eval.context import RunContext
    from lvlmkb.eval.plugin import Plugin
    from lvlmkb.eval.run.matrix import MatrixCell
    from lvlmkb.eval.run.records import JudgeAggregate, RunRecord
    from lvlmkb.eval.run.runner import RunSpec

SetOption = Annotated[list[str] | None, typer.Option("--set", help="Override a config value: KEY=VALUE (repeatable).")]
DataOption = Annotated[Path | None, typer.Option("--data", help="Local copy of the dataset (a file or a folder).")]


@handle_errors
def reproduce_command(
    method: Annotated[
        str | None, typer.Argument(help="Reproduction or suite id (see `lvlmkb methods`, `lvlmkb suites`).")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model alias from reproductions/models.yaml.")] = None,
    root: RootOption = None,
    matrix: Annotated[bool, typer.Option("--matrix", help="Run every --attacks x --defenses x --models cell.")] = False,
    attacks: Annotated[
        str | None, typer.Option(help="For a matrix: attack ids, comma-separated; ALL for every attack.")
    ] = None,
    defenses: Annotated[
        str, typer.Option(help="For a matrix: defense ids or 'none', comma-separated; ALL for none and every defense.")
    ] = "none",
    models: Annotated[str | None, typer.Option(help="For a matrix: model aliases, comma-separated.")] = None,
    data_for: Annotated[
        list[str] | None,
        typer.Option("--data-for", help="For a matrix or a suite: DATASET=PATH local copies, repeatable."),
    ] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset name (default: the method's).")] = None,
    data: DataOption = None,
    defense: Annotated[
        str | None, typer.Option(help="Defense id wrapped around the model (see `lvlmkb methods`).")
    ] = None,
    defense_set: Annotated[
        list[str] | None, typer.Option("--defense-set", help="Override a defense config value: KEY=VALUE.")
    ] = None,
    judge: Annotated[list[str] | None, typer.Option(help="Judge id, repeatable (default: the method's).")] = None,
    judge_model: Annotated[str | None, typer.Option(help="Model alias for LLM judges.")] = None,
    judge_backend: JudgeBackendOption = None,
    judge_base_url: JudgeBaseUrlOption = None,
    judge_served_model: JudgeServedModelOption = None,
    judge_device: JudgeDeviceOption = None,
    judge_dtype: JudgeDtypeOption = None,
    judge_backend_option: JudgeBackendSettingOption = None,
    judge_set: JudgeSetOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N samples.")] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Requests per backend call (also caps an API backend's concurrency).")
    ] = 8,
    max_new_tokens: Annotated[int, typer.Option(min=1)] = 512,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:1 ...")] = None,
    dtype: Annotated[str | None, typer.Option(help="auto, bfloat16, float16, float32.")] = None,
    trust_remote_code: Annotated[bool, typer.Option(help="Allow the checkpoint's own code to run.")] = False,
    base_url: BaseUrlOption = None,
    backend: BackendOption = None,
    served_model: ServedModelOption = None,
    out: Annotated[
        Path | None, typer.Option(help="Run folder (default: runs/METHOD/MODEL/DATASET).", file_okay=False)
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh/--resume", help="Start over, or resume from cached generations.")
    ] = False,
    set_: SetOption = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text, or json for a machine-readable summary on stdout.")
    ] = OutputFormat.text,
    backend_option: BackendSettingOption = None,
) -> None:
    """Run a reproduction: samples → attack → model → judges → run record (resumable).

    Example: lvlmkb reproduce figstep --model tiny-janus --limit 3
    """
    from lvlmkb.cli.progress import progress_bar
    from lvlmkb.eval.backends.base import GenerationSettings
    from lvlmkb.eval.context import RunContext
    from lvlmkb.eval.run.runner import RunSpec, run_reproduction
    from lvlmkb.kb.validate import open_kb

    kb, _ = open_kb(project_for(root))
    if not matrix and (method is None or model is None):
        raise UsageError(
            "reproduce needs METHOD and --model (or --matrix)", "e.g. lvlmkb reproduce figstep --model tiny-janus"
        )
    target_options = target_backend_options(
        device, dtype, trust_remote_code, base_url, backend, served_model, backend_option
    )
    judge_options = role_backend_options(
        judge_backend, judge_base_url, judge_served_model, judge_device, judge_dtype, judge_backend_option
    )
    ctx = RunContext(kb, target_options, {"judge": judge_options} if judge_options else {})
    spec = RunSpec(
        method=method or "",
        model=model or "",
        dataset=dataset,
        data=data,
        judges=tuple(judge or ()),
        judge_model=judge_model,
        limit=limit,
        batch_size=batch_size,
        out=out,
        fresh=fresh,
        settings=GenerationSettings(max_new_tokens=max_new_tokens),
        config=parse_overrides(set_),
        defense=defense,
        defense_config=parse_overrides(defense_set),
        judge_settings=parse_overrides(judge_set),
    )
    as_json = output is OutputFormat.json
    if matrix:
        _matrix(ctx, spec, attacks, defenses, models, data_for, as_json)
        return
    if method in _suite_ids(ctx):
        _suite(ctx, spec, method or "", data_for, as_json)
        return
    label = f"{method}+{spec.defense} × {model}" if spec.defense else f"{method} × {model}"
    with progress_bar(label) as update:
        result = run_reproduction(ctx, spec, progress=update)
    if as_json:
        typer.echo(json.dumps(summary_json(result.record, result.out, result.model_calls), indent=2))
        return
    print_summary(result.record, result.out, result.model_calls)
    for dropped in result.dropped_judges:
        typer.echo(
            f"note: judge {dropped}, added by `lvlmkb rejudge`, no longer matches the responses and was not kept; "
            f"add it again with: lvlmkb rejudge {result.out} --judge {dropped}",
            err=True,
        )


def _suite_ids(ctx: RunContext) -> set[str]:
    from lvlmkb.eval.registry import suites

    return set(suites(ctx.reproductions_dir))


def _suite(ctx: RunContext, spec: RunSpec, name: str, data: list[str] | None, as_json: bool) -> None:
    from lvlmkb.eval.registry import get_suite
    from lvlmkb.eval.run.suite import PartOutcome, run_suite

    def report(outcome: PartOutcome) -> None:
        where = outcome.result.out if outcome.result else f"not run: {outcome.error}"
        typer.echo(f"done {outcome.part.benchmark} {outcome.part.setting}: {where}", err=True)

    paths = {key: Path(str(value)) for key, value in parse_overrides(data).items()}
    result = run_suite(ctx, get_suite(ctx.reproductions_dir, name), spec, paths, report)
    if as_json:
        parts = [
            {
                "benchmark": o.part.benchmark,
                "setting": o.part.setting,
                "out": str(o.result.out) if o.result else None,
                "error": o.error,
            }
            for o in result.outcomes
        ]
        rows = [{**dataclasses.asdict(row), "delta": row.delta} for row in result.rows]
        typer.echo(json.dumps({"suite": name, "parts": parts, "rows": rows}, indent=2))
    else:
        table = [["benchmark", "setting", "ours ASR %", "n", "paper %", "delta", "judge"]]
        for row in result.rows:
            paper = f"{row.paper:.2f}" if row.paper is not None else "-"
            delta = f"{row.delta:+.2f}" if row.delta is not None else "-"
            table.append([row.benchmark, row.setting, f"{row.ours:.2f}", str(row.n), paper, delta, row.judge])
        _print_table(table)
    if result.failed:
        failed = f"{len(result.failed)} of {len(result.outcomes)} part(s)"
        typer.echo(f"{failed} did not run; the others' records are written", err=True)
        raise typer.Exit(1)


def _print_table(table: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _split(value: str | None, what: str) -> list[str]:
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    if not items:
        raise UsageError(f"--matrix needs {what}", f"pass {what} as a comma-separated list")
    return items


def _matrix(
    ctx: RunContext,
    spec: RunSpec,
    attacks: str | None,
    defenses: str,
    models: str | None,
    data: list[str] | None,
    as_json: bool = False,
) -> None:
    from pathlib import Path

    from lvlmkb.eval.run.matrix import matrix_table, run_matrix

    paths = {key: Path(str(value)) for key, value in parse_overrides(data).items()}

    def report(cell: MatrixCell) -> None:
        outcome = cell.result.out if cell.result else f"not run: {cell.error}"
        typer.echo(f"done {cell.attack} x {cell.defense} x {cell.model}: {outcome}", err=True)

    cells = run_matrix(
        ctx,
        spec,
        _split(attacks, "--attacks"),
        _split(defenses, "--defenses"),
        _split(models, "--models"),
        paths,
        report,
    )
    failed = sum(cell.result is None for cell in cells)
    if as_json:
        payload = [_cell_json(cell) for cell in cells]
        typer.echo(json.dumps(payload, indent=2))
        if failed:
            raise typer.Exit(1)
        return
    widths = [
        max(len(row[i]) for row in [["attack", "defense", "model", "ASR", "judge"], *matrix_table(cells)])
        for i in range(5)
    ]
    for row in [["attack", "defense", "model", "ASR", "judge"], *matrix_table(cells)]:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if failed:
        typer.echo(f"{failed} of {len(cells)} cell(s) did not run; the others' records are written", err=True)
        raise typer.Exit(1)


def _cell_json(cell: MatrixCell) -> dict[str, Any]:
    base: dict[str, Any] = {"attack": cell.attack, "defense": cell.defense, "model": cell.model}
    if cell.result is None:
        return {**base, "out": None, "error": cell.error}
    return {**base, **summary_json(cell.result.record, cell.result.out, cell.result.model_calls), "error": None}


def summary_json(record: RunRecord, out: Path, calls: int) -> dict[str, Any]:
    """What :func:`print_summary` prints, as data: ASR per judge with interval and hash, and the paper's numbers."""
    aggregates = [aggregate_json(agg) for agg in record.aggregates]
    return {
        "out": str(out),
        "fingerprint": record.fingerprint,
        "samples": record.counts.samples,
        "model_calls": calls,
        "aggregates": aggregates,
        "reported": [r.model_dump(mode="json", exclude_none=True) for r in record.reported],
    }


def aggregate_json(agg: JudgeAggregate) -> dict[str, Any]:
    """One judge's ASR as data: successes, n, 95 % interval and the judge's list or template hash."""
    return {
        "judge": agg.judge,
        "metric": agg.metric,
        "asr": agg.overall.asr,
        "successes": agg.overall.successes,
        "n": agg.overall.n,
        "ci95": list(agg.overall.ci95),
        "sha256": agg.digest or None,
    }


def aggregate_line(agg: JudgeAggregate) -> str:
    """One judge's ASR as a line: with its interval, the judge id and its hash (an ASR never goes without)."""
    low, high = agg.overall.ci95
    return (
        f"{agg.metric} {agg.overall.asr:.1%} ({agg.overall.successes}/{agg.overall.n}, 95% CI {low:.1%}-{high:.1%})"
        f"  judge {agg.judge} sha256 {agg.digest[:12]}"
    )


def print_summary(record: RunRecord, out: Path, calls: int) -> None:
    """ASR per judge with its interval, the paper's numbers beside, and where the record is."""
    typer.echo(f"{record.counts.samples} samples, {calls} model call(s) this time; record: {out / 'run.json'}")
    for agg in record.aggregates:
        typer.echo(aggregate_line(agg))
    if record.reported:
        for reported in record.reported:
            typer.echo(
                f"{reported.paper} reports: {reported.benchmark} {reported.setting or ''} "
                f"{reported.metric} {reported.value:g} ({reported.source})"
            )
    else:
        typer.echo("the KB records no published number for this model and method")


@handle_errors
def craft_command(
    method: Annotated[str, typer.Argument(help="Reproduction id.")],
    out: Annotated[Path, typer.Option(help="Folder for the images, prompts and manifest.", file_okay=False)],
    root: RootOption = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset name (default: the method's).")] = None,
    data: DataOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N samples.")] = None,
    set_: SetOption = None,
) -> None:
    """Write the attack inputs (images, prompts, manifest.jsonl) without running any model.

    Example: lvlmkb craft figstep --out /tmp/figstep --limit 3
    """
    from lvlmkb.eval.run.craft import craft_to_folder
    from lvlmkb.kb.validate import open_kb

    kb, _ = open_kb(project_for(root))
    written = craft_to_folder(kb, method, out, dataset, data, limit, parse_overrides(set_))
    typer.echo(f"wrote {written} item(s) to {out} (manifest.jsonl)")


@handle_errors
def methods_command(
    root: RootOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """List every registered attack, benchmark and defense with its paper and sourced parameters.

    Example: lvlmkb methods --format json
    """
    from lvlmkb.eval.registry import load_plugins

    plugins = sorted(load_plugins(project_for(root).reproductions_dir).values(), key=lambda p: p.id)
    payload = [plugin_summary(p) for p in plugins]
    if output is OutputFormat.json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for item in payload:
        extra = f", dataset {item['dataset']}" if "dataset" in item else ""
        typer.echo(f"{item['id']}  ({item['kind']}, paper {item['paper']}{extra})")
        for parameter in item["parameters"]:
            typer.echo(f"    {parameter['name']} = {parameter['value']}    [{parameter['source']}]")


def plugin_summary(plugin: type[Plugin]) -> dict[str, Any]:
    """Identity, defaults, parameter card and deviations of one reproduction module."""
    from lvlmkb.eval.plugin import Method

    summary: dict[str, Any] = {"id": plugin.id, "kind": plugin.kind, "paper": plugin.paper, "version": plugin.version}
    if issubclass(plugin, Method):
        summary.update(dataset=plugin.default_dataset, judges=list(plugin.default_judges))
    summary["parameters"] = plugin.card()
    summary["deviations"] = [{"what": d.what, "why": d.why} for d in plugin.deviations]
    return summary


@handle_errors
def models_command(
    root: RootOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """List the model registry: alias, backend, checkpoint.

    Example: lvlmkb models
    """
    from lvlmkb.kb.validate import open_kb

    kb, _ = open_kb(project_for(root))
    entries = sorted(kb.models.values(), key=lambda m: m.id)
    if output is OutputFormat.json:
        typer.echo(json.dumps([m.model_dump(mode="json", exclude_none=True) for m in entries], indent=2))
        return
    for m in entries:
        runnable = f"{m.backend}: {m.checkpoint}" if m.backend and m.checkpoint else "not runnable here"
        typer.echo(f"{m.id:24} {m.label:40} {runnable}")


def _must_be_suite(arguments: dict[str, Any]) -> None:
    from lvlmkb.eval.registry import get_suite

    get_suite(project_for(arguments["root"]).reproductions_dir, arguments["method"])


suite_command = handle_errors(
    narrowed(
        reproduce_command,
        fixed={
            **dict.fromkeys(("attacks", "models", "dataset", "data", "out", "judge")),
            "matrix": False,
            "defenses": "none",
        },
        annotations={"method": Annotated[str, typer.Argument(metavar="SUITE", help="Suite id (see `lvlmkb suites`).")]},
        required=frozenset({"method"}),
        check=_must_be_suite,
        doc="""Run a suite: each part in its own run folder, compared with the paper's table (resumable).

Every part is checked before any runs; a part that fails at run time is marked and the others still run.

Example: lvlmkb suite survey-janus-pro --model janus-pro --judge-model qwen2.5-vl-7b --data-for siuo-openqa=SIUO/
""",
    )
)
matrix_command = narrowed(
    reproduce_command,
    fixed={**dict.fromkeys(("method", "model", "dataset", "data", "out", "defense")), "matrix": True},
    doc="""Run every --attacks x --defenses x --models cell, one run record each (resumable).

ALL stands for every registered attack (--attacks) or for no defense and every defense (--defenses). The
whole grid is checked before any cell runs; a cell that fails at run time is marked and the others still
run and print.

Example: lvlmkb matrix --attacks figstep,mm-safetybench --defenses none,adashield-s --models tiny-janus,tiny-llava
""",
)
