"""The judge model's own backend options (``--judge-base-url``, ``--judge-device``, …) for ``lvlmkb reproduce``.

Without any of them the judge model shares only the target's device and dtype: the target's server, backend,
served name, backend options and ``--trust-remote-code`` never reach the judge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lvlmkb.eval.overrides import parse_overrides

if TYPE_CHECKING:
    from lvlmkb.eval.backends.registry import BackendOptions

PANEL = "Judge model"
JudgeBackendOption = Annotated[
    str | None,
    typer.Option("--judge-backend", help="Backend of --judge-model: hf, openai or mock.", rich_help_panel=PANEL),
]
JudgeBaseUrlOption = Annotated[
    str | None,
    typer.Option("--judge-base-url", help="OpenAI-compatible server of --judge-model.", rich_help_panel=PANEL),
]
JudgeServedModelOption = Annotated[
    str | None,
    typer.Option("--judge-served-model", help="The judge model's name on its server.", rich_help_panel=PANEL),
]
JudgeDeviceOption = Annotated[
    str | None,
    typer.Option("--judge-device", help="Device of the judge model (default: --device).", rich_help_panel=PANEL),
]
JudgeDtypeOption = Annotated[
    str | None,
    typer.Option("--judge-dtype", help="Dtype of the judge model (default: --dtype).", rich_help_panel=PANEL),
]
JudgeBackendSettingOption = Annotated[
    list[str] | None,
    typer.Option("--judge-backend-option", help="Judge backend setting KEY=VALUE, repeatable.", rich_help_panel=PANEL),
]

JudgeSetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--judge-set", help="Judge setting KEY=VALUE, e.g. num_tokens=256 (see `lvlmkb judges`).", rich_help_panel=PANEL
    ),
]


def judge_backend_options(
    backend: str | None,
    base_url: str | None,
    served_model: str | None,
    device: str | None,
    dtype: str | None,
    settings: list[str] | None,
) -> BackendOptions | None:
    """What the ``--judge-*`` backend flags say, else None; the engine fills in the rest (``options_for_judge``)."""
    from lvlmkb.eval.backends.registry import BackendOptions

    if not any((backend, base_url, served_model, device, dtype, settings)):
        return None
    return BackendOptions(
        device=device,
        dtype=dtype,
        base_url=base_url,
        extra=parse_overrides(settings),
        backend=backend,
        served_model=served_model,
    )
