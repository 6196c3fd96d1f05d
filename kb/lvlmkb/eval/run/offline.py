"""Running a plugin's offline stage (``lvlmkb stage``): find it, check every argument, then run it.

Everything the command line gave is checked before the stage starts, so before any model opens: the
plugin and the stage exist, ``--set`` keys and values fit the plugin's config and the stage's options,
``--model`` (and any model a stage option names) can run on the asked device and dtype, and a white-box
stage's model has gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.eval.backends.registry import BackendOptions
from lvlmkb.eval.context import RunContext, role_of_option
from lvlmkb.eval.stages import (
    SETTINGS_HINT,
    StageContext,
    StageInfo,
    StageOptions,
    check_white_box,
    closest,
    did_you_mean,
    stages_of,
    validated,
)

if TYPE_CHECKING:
    from lvlmkb.eval.context import Role
    from lvlmkb.eval.plugin import MethodConfig, Plugin
    from lvlmkb.kb.knowledge import KnowledgeBase


@dataclass(frozen=True)
class StageRequest:
    """What the command line asked for: which stage, where, with which model, settings and data."""

    plugin: str
    stage: str
    out: Path
    model: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    data: Path | None = None
    limit: int | None = None
    options: BackendOptions = field(default_factory=BackendOptions)
    roles: dict[Role, BackendOptions] = field(default_factory=dict)
    """The own options of the models in other roles (``--defender-*``)."""


@dataclass(frozen=True)
class PreparedStage:
    """A stage whose arguments all passed: the plugin made from its config, the options and the context."""

    plugin: Plugin
    info: StageInfo
    options: StageOptions | None
    context: StageContext

    def run(self) -> Path:
        """Run the stage; returns the path of what it wrote."""
        return self.info.call(self.plugin, self.context, self.options)


def staged_plugins(folder: Path) -> dict[str, type[Plugin]]:
    """The checkout's plugins that declare at least one stage, by id."""
    from lvlmkb.eval.registry import load_plugins

    return {key: cls for key, cls in sorted(load_plugins(folder).items()) if stages_of(cls)}


def find_stage(folder: Path, plugin_id: str, stage_name: str) -> tuple[type[Plugin], StageInfo]:
    """The plugin class ``plugin_id`` and its stage ``stage_name``.

    Raises:
        UsageError: no such plugin, a plugin without stages, or no such stage (each with a did-you-mean).
    """
    from lvlmkb.eval.registry import load_plugins

    staged = staged_plugins(folder)
    if plugin_id in load_plugins(folder) and plugin_id not in staged:
        raise UsageError(f"plugin '{plugin_id}' has no offline stage", f"plugins with stages: {', '.join(staged)}")
    if plugin_id not in staged:
        raise UsageError(f"no plugin '{plugin_id}'", did_you_mean(plugin_id, list(staged), "plugins with stages"))
    stages = stages_of(staged[plugin_id])
    if stage_name not in stages:
        raise UsageError(f"{plugin_id} has no stage '{stage_name}'", did_you_mean(stage_name, list(stages), "stages"))
    return staged[plugin_id], stages[stage_name]


def split_settings(
    plugin_cls: type[Plugin], info: StageInfo, settings: dict[str, Any]
) -> tuple[MethodConfig, StageOptions | None]:
    """The plugin's config and the stage's options from the ``--set`` keys, each key to the model that has it.

    Raises:
        UsageError: a key neither takes (with a did-you-mean), or a value out of range (naming its key).
    """
    label = f"{plugin_cls.id} {info.name}"
    config_keys, option_keys = list(plugin_cls.Config.model_fields), info.option_keys()
    for key in settings:
        if key not in config_keys and key not in option_keys:
            close = closest(key, [*config_keys, *option_keys])
            hint = f"did you mean '{close}'?" if close else SETTINGS_HINT
            raise UsageError(f"--set {key}: {label} takes no setting '{key}'", hint)
    config = validated(plugin_cls.Config, {k: v for k, v in settings.items() if k in config_keys}, f"--set for {label}")
    if info.options is None:
        return config, None
    chosen = {k: v for k, v in settings.items() if k in option_keys}
    return config, validated(info.options, chosen, f"--set for {label}")


def check_arguments(kb: KnowledgeBase, info: StageInfo, request: StageRequest, options: StageOptions | None) -> None:
    """``--data``, ``--limit``, ``--model``, the models named by stage options, device and dtype fit the stage.

    Raises:
        UsageError, NotFoundError: the first problem found.
    """
    label = f"{request.plugin} {info.name}"
    if not info.data and (request.data is not None or request.limit is not None):
        raise UsageError(f"{label} reads no --data or --limit", "drop them; its inputs are --set keys")
    _check_model(kb, info, request, label)
    context = RunContext(kb, request.options, request.roles)
    for name in info.model_options:
        alias = getattr(options, name, None)
        if isinstance(alias, str):
            try:
                context.check_model(alias, role_of_option(name))
            except (UsageError, NotFoundError) as err:  # say which setting named the model
                raise type(err)(f"--set {name}={alias}: {err.message}", err.hint) from err


def _check_model(kb: KnowledgeBase, info: StageInfo, request: StageRequest, label: str) -> None:
    """``--model`` is given when the stage takes one and can run (with gradients for a white-box stage)."""
    from lvlmkb.eval.run.preflight import check_device, check_dtype

    if info.model == "none":
        if request.model is not None:
            raise UsageError(f"{label} takes no --model", "drop --model; its models are --set keys")
        check_device(request.options.device, "hf")  # a stage may still run a model of its own there
        check_dtype(request.options.dtype)
        return
    if request.model is None:
        raise UsageError(f"{label} needs --model", "pass --model ALIAS (see `lvlmkb models`)")
    RunContext(kb, request.options).check_model(request.model)
    if info.model == "white-box":
        check_white_box(kb, request.model, request.options, label)


def prepare_stage(
    kb: KnowledgeBase, request: StageRequest, report: Callable[[str], None] | None = None
) -> PreparedStage:
    """Check every argument of ``request`` and make the plugin; nothing opens or runs yet.

    Args:
        kb: The opened knowledge base of the checkout.
        request: The command line's arguments.
        report: Receives the stage's progress lines.

    Returns:
        The stage, ready to :meth:`~PreparedStage.run`.

    Raises:
        UsageError, NotFoundError: the first bad argument.
    """
    plugin_cls, info = find_stage(kb.project.reproductions_dir, request.plugin, request.stage)
    config, options = split_settings(plugin_cls, info, request.settings)
    check_arguments(kb, info, request, options)
    context = StageContext(
        kb=kb,
        out=request.out,
        backend_options=request.options,
        roles=request.roles,
        model=request.model,
        data=request.data,
        limit=request.limit,
        report=report or (lambda message: None),
        label=f"{request.plugin} {info.name}",
    )
    return PreparedStage(plugin_cls(config), info, options, context)


def stage_listing(folder: Path) -> list[dict[str, Any]]:
    """Every stage of every plugin: its summary, model, whether it reads data, and its ``--set`` keys."""
    rows = []
    for plugin_id, plugin_cls in staged_plugins(folder).items():
        for info in stages_of(plugin_cls).values():
            options = info.options.model_fields if info.options is not None else {}
            rows.append(
                {
                    "plugin": plugin_id,
                    "stage": info.name,
                    "summary": info.summary,
                    "model": info.model,
                    "data": info.data,
                    "settings": list(plugin_cls.Config.model_fields),
                    "options": [{"name": k, "required": f.is_required()} for k, f in options.items()],
                }
            )
    return rows
