"""``lvlmkb stage`` and ``lvlmkb stages``: a plugin's offline steps (optimise an image, train a prompt pool)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lvlmkb.cli.common import RootOption, handle_errors, project_for
from lvlmkb.cli.role_options import (
    BackendOption,
    BackendSettingOption,
    BaseUrlOption,
    DefenderBackendOption,
    DefenderBackendSettingOption,
    DefenderBaseUrlOption,
    DefenderDeviceOption,
    DefenderDtypeOption,
    DefenderServedModelOption,
    ServedModelOption,
    role_backend_options,
    target_backend_options,
)
from lvlmkb.cli.validate_cmd import OutputFormat
from lvlmkb.eval.overrides import parse_overrides

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="text or json.")]


@handle_errors
def stage_command(
    plugin: Annotated[str, typer.Argument(metavar="PLUGIN", help="Plugin id (see `lvlmkb stages`).")],
    stage: Annotated[str, typer.Argument(metavar="STAGE", help="Stage name (see `lvlmkb stages`).")],
    out: Annotated[Path, typer.Option(help="Stage folder; rerun with the same one to resume.", file_okay=False)],
    model: Annotated[str | None, typer.Option("--model", help="Model alias from reproductions/models.yaml.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="A config or stage setting: KEY=VALUE (repeatable; see `lvlmkb stages`)."),
    ] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Local copy of the stage's dataset.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N samples.")] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:1 ...")] = None,
    dtype: Annotated[str | None, typer.Option(help="auto, bfloat16, float16, float32.")] = None,
    trust_remote_code: Annotated[bool, typer.Option(help="Allow the checkpoint's own code to run.")] = False,
    backend: BackendOption = None,
    base_url: BaseUrlOption = None,
    served_model: ServedModelOption = None,
    backend_option: BackendSettingOption = None,
    defender_backend: DefenderBackendOption = None,
    defender_base_url: DefenderBaseUrlOption = None,
    defender_served_model: DefenderServedModelOption = None,
    defender_device: DefenderDeviceOption = None,
    defender_dtype: DefenderDtypeOption = None,
    defender_backend_option: DefenderBackendSettingOption = None,
    root: RootOption = None,
    output: FormatOption = OutputFormat.text,
) -> None:
    """Run a plugin's offline stage; every argument is checked before a model opens, and a rerun resumes.

    Prints the path of what the stage wrote (progress goes to stderr).

    Example: lvlmkb stage hades optimize --model llava-1.5-7b --data HADES/ --set scenario=Violence --out adv/
    """
    from lvlmkb.eval.run.offline import StageRequest, prepare_stage
    from lvlmkb.kb.validate import open_kb

    kb, _ = open_kb(project_for(root))
    defender = role_backend_options(
        defender_backend,
        defender_base_url,
        defender_served_model,
        defender_device,
        defender_dtype,
        defender_backend_option,
    )
    request = StageRequest(
        plugin=plugin,
        stage=stage,
        out=out,
        model=model,
        settings=parse_overrides(set_),
        data=data,
        limit=limit,
        options=target_backend_options(
            device, dtype, trust_remote_code, base_url, backend, served_model, backend_option
        ),
        roles={"defender": defender} if defender is not None else {},
    )
    result = prepare_stage(kb, request, report=lambda message: typer.echo(message, err=True)).run()
    if output is OutputFormat.json:
        typer.echo(json.dumps({"plugin": plugin, "stage": stage, "out": str(out), "result": str(result)}, indent=2))
        return
    typer.echo(str(result))


@handle_errors
def stages_command(root: RootOption = None, output: FormatOption = OutputFormat.text) -> None:
    """List every plugin's offline stages: what each does, the model it takes and its --set keys.

    Example: lvlmkb stages --format json
    """
    from lvlmkb.eval.run.offline import stage_listing

    rows = stage_listing(project_for(root).reproductions_dir)
    if output is OutputFormat.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    models = {"none": "no --model", "any": "--model ALIAS", "white-box": "--model ALIAS (hf backend: white-box)"}
    for row in rows:
        data = ", --data PATH [--limit N]" if row["data"] else ""
        typer.echo(f"{row['plugin']} {row['stage']}: {row['summary']}")
        typer.echo(f"    takes {models[row['model']]}{data}")
        if row["options"]:
            keys = [f"{o['name']} (required)" if o["required"] else o["name"] for o in row["options"]]
            typer.echo(f"    stage --set keys: {', '.join(keys)}")
        typer.echo(f"    config --set keys: {', '.join(row['settings'])}")
