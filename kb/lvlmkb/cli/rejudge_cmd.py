"""``lvlmkb rejudge``: add judges to a finished run, so its ASR can be read under other judges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lvlmkb.cli.common import RootOption, handle_errors, project_for
from lvlmkb.cli.reproduce_cmd import aggregate_json, aggregate_line
from lvlmkb.cli.role_options import (
    JudgeBackendOption,
    JudgeBackendSettingOption,
    JudgeBaseUrlOption,
    JudgeDeviceOption,
    JudgeDtypeOption,
    JudgeServedModelOption,
    JudgeSetOption,
    role_backend_options,
)
from lvlmkb.cli.validate_cmd import OutputFormat
from lvlmkb.eval.overrides import parse_overrides


@handle_errors
def rejudge_command(
    folder: Annotated[Path, typer.Argument(help="A finished run's folder (as `lvlmkb runs` lists them).")],
    judge: Annotated[list[str] | None, typer.Option(help="Judge id to add, repeatable (see `lvlmkb judges`).")] = None,
    judge_model: Annotated[str | None, typer.Option(help="Model alias for LLM judges.")] = None,
    judge_backend: JudgeBackendOption = None,
    judge_base_url: JudgeBaseUrlOption = None,
    judge_served_model: JudgeServedModelOption = None,
    judge_device: JudgeDeviceOption = None,
    judge_dtype: JudgeDtypeOption = None,
    judge_backend_option: JudgeBackendSettingOption = None,
    judge_set: JudgeSetOption = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="Local copy of the run's dataset, when the file it read is gone.")
    ] = None,
    root: RootOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """Judge a finished run again with other judges: no model call for the target, nothing generated.

    The new judges read the same prompts and responses the run's judges read; their verdicts are added to
    samples.jsonl and their ASR to run.json (marked as added later). Then compare them with
    `lvlmkb judge-agreement FOLDER`.

    Example: lvlmkb rejudge runs/figstep/janus-pro/safebench-1a2b3c4d --judge refusal-lmms-eval-21
    """
    from lvlmkb.eval.context import RunContext
    from lvlmkb.eval.run.rejudge import rejudge_run
    from lvlmkb.kb.validate import open_kb

    kb, _ = open_kb(project_for(root))
    judge_options = role_backend_options(
        judge_backend, judge_base_url, judge_served_model, judge_device, judge_dtype, judge_backend_option
    )
    ctx = RunContext(kb, own={"judge": judge_options} if judge_options else {})
    result = rejudge_run(ctx, folder, judge or [], judge_model, parse_overrides(judge_set), data)
    added = [agg for agg in result.record.aggregates if agg.judge in result.added]
    if output is OutputFormat.json:
        payload = {"folder": str(folder), "added": [aggregate_json(agg) for agg in added]}
        typer.echo(json.dumps(payload, indent=2))
        return
    for agg in added:
        typer.echo(aggregate_line(agg))
    typer.echo(f"added to {folder / 'run.json'}; compare: lvlmkb judge-agreement {folder}")
