"""Backend options by role: the target's (``--backend``, ``--base-url``, ...), ``--judge-*`` and ``--defender-*``.

Without any of them the model shares only the target's device and dtype: the target's server, backend,
served name, backend options and ``--trust-remote-code`` never reach it (the engine applies the rule,
:func:`lvlmkb.eval.backends.registry.options_for_role`). Each role's flags are made by :func:`role_option`,
so the two sets cannot drift apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from lvlmkb.eval.overrides import parse_overrides

if TYPE_CHECKING:
    from lvlmkb.eval.backends.registry import BackendOptions

_HELP = {
    "backend": "Backend of the {what}: hf, openai or mock.",
    "base-url": "OpenAI-compatible server of the {what}.",
    "served-model": "The {what}'s name on its server.",
    "device": "Device of the {what} (default: --device).",
    "dtype": "Dtype of the {what} (default: --dtype).",
    "backend-option": "{What} backend setting KEY=VALUE, repeatable.",
}


def role_option(role: str, key: str, what: str) -> Any:
    """The ``--ROLE-KEY`` option of a role's model (``what`` names the model in the help, e.g. "judge model")."""
    text = _HELP[key].format(what=what, What=what[:1].upper() + what[1:])
    return typer.Option(f"--{role}-{key}", help=text, rich_help_panel=what[:1].upper() + what[1:])


BackendOption = Annotated[
    str | None, typer.Option("--backend", help="hf, openai or mock (default: the model's backend in models.yaml).")
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible server URL (e.g. a vLLM server); implies --backend openai."),
]
ServedModelOption = Annotated[
    str | None,
    typer.Option(
        "--served-model", help="Model name on the server (default: the registry's served name or checkpoint)."
    ),
]
BackendSettingOption = Annotated[
    list[str] | None,
    typer.Option("--backend-option", help="Backend setting KEY=VALUE, repeatable (e.g. concurrency=16)."),
]

JudgeBackendOption = Annotated[str | None, role_option("judge", "backend", "judge model")]
JudgeBaseUrlOption = Annotated[str | None, role_option("judge", "base-url", "judge model")]
JudgeServedModelOption = Annotated[str | None, role_option("judge", "served-model", "judge model")]
JudgeDeviceOption = Annotated[str | None, role_option("judge", "device", "judge model")]
JudgeDtypeOption = Annotated[str | None, role_option("judge", "dtype", "judge model")]
JudgeBackendSettingOption = Annotated[list[str] | None, role_option("judge", "backend-option", "judge model")]

DefenderBackendOption = Annotated[str | None, role_option("defender", "backend", "defender model")]
DefenderBaseUrlOption = Annotated[str | None, role_option("defender", "base-url", "defender model")]
DefenderServedModelOption = Annotated[str | None, role_option("defender", "served-model", "defender model")]
DefenderDeviceOption = Annotated[str | None, role_option("defender", "device", "defender model")]
DefenderDtypeOption = Annotated[str | None, role_option("defender", "dtype", "defender model")]
DefenderBackendSettingOption = Annotated[list[str] | None, role_option("defender", "backend-option", "defender model")]

JudgeSetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--judge-set",
        help="Judge setting KEY=VALUE, e.g. num_tokens=256 (see `lvlmkb judges`).",
        rich_help_panel="Judge model",
    ),
]


def target_backend_options(
    device: str | None,
    dtype: str | None,
    trust_remote_code: bool,
    base_url: str | None,
    backend: str | None,
    served_model: str | None,
    settings: list[str] | None,
) -> BackendOptions:
    """The target model's options from its flags (``--device``, ``--base-url``, ``--backend-option`` ...)."""
    from lvlmkb.eval.backends.registry import BackendOptions

    return BackendOptions(
        device=device,
        dtype=dtype,
        trust_remote_code=trust_remote_code,
        base_url=base_url,
        extra=parse_overrides(settings),
        backend=backend,
        served_model=served_model,
    )


def role_backend_options(
    backend: str | None,
    base_url: str | None,
    served_model: str | None,
    device: str | None,
    dtype: str | None,
    settings: list[str] | None,
) -> BackendOptions | None:
    """What a role's flags say, else None; the engine fills in the rest (``options_for_role``)."""
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
