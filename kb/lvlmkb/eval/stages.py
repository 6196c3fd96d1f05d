"""Offline stages: what a plugin computes once, before any run, with ``lvlmkb stage PLUGIN STAGE --out DIR``.

An attack that optimises an adversarial image, or a defense that trains a prompt pool, declares that step as
a method of its plugin class decorated with :func:`stage`. The engine makes the plugin from its config (the
``--set KEY=VALUE`` keys a run takes), checks every argument before any model opens, and calls the method
with a :class:`StageContext`: the checkout, the stage folder, the chosen model and helpers that open it,
load a dataset or make another plugin. A stage that needs settings of its own names a :class:`StageOptions`
model in the decorator; the method then takes it as a third argument, filled from the same ``--set`` keys.
The method returns the path of what it wrote, and resumes itself when rerun with the same ``--out``::

    @stage("optimize", summary="Optimise the adversarial image.", model="white-box")
    def optimize_stage(self, ctx: StageContext) -> Path:
        return optimize(ctx.white_box(), self.settings, ctx.out, ...)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from pydantic import BaseModel, ConfigDict, ValidationError

from lvlmkb.choices import suggestions
from lvlmkb.errors import LvlmkbError, UsageError

if TYPE_CHECKING:
    from lvlmkb.eval.backends.base import Backend
    from lvlmkb.eval.backends.hf import HFBackend
    from lvlmkb.eval.backends.registry import BackendOptions
    from lvlmkb.eval.context import Role, RunContext
    from lvlmkb.eval.datasets.base import Sample
    from lvlmkb.eval.plugin import Method, Plugin
    from lvlmkb.kb.knowledge import KnowledgeBase

ModelUse = Literal["none", "any", "white-box"]
"""What ``--model`` a stage takes: none, any runnable model, or one with gradients (the ``hf`` backend)."""

STAGE_ATTRIBUTE = "__lvlmkb_stage__"
"""The attribute under which :func:`stage` leaves a method's :class:`StageInfo`."""

SETTINGS_HINT = "see `lvlmkb stages --format json` for the keys each stage takes"


class StageOptions(BaseModel):
    """Base of a stage's own options, beyond the plugin's config: immutable, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


PluginT = TypeVar("PluginT", bound="Plugin")
OptionsT = TypeVar("OptionsT", bound=StageOptions)
ModelT = TypeVar("ModelT", bound=BaseModel)
PlainStage = Callable[[PluginT, "StageContext"], Path]
"""A stage method without options of its own: ``(self, ctx) -> Path``."""
OptionsStage = Callable[[PluginT, "StageContext", OptionsT], Path]
"""A stage method with its options: ``(self, ctx, options) -> Path``."""


@dataclass(frozen=True)
class StageInfo:
    """What :func:`stage` declares about one stage of a plugin."""

    name: str
    summary: str
    attribute: str
    """The name of the plugin method that runs the stage."""
    options: type[StageOptions] | None = None
    model: ModelUse = "any"
    data: bool = False
    """Whether the stage reads ``--data`` and ``--limit`` (refused otherwise)."""
    model_options: tuple[str, ...] = ()
    """Fields of ``options`` that name further model aliases, checked like ``--model`` before anything runs."""

    def option_keys(self) -> list[str]:
        """The keys of the stage's own options, in declaration order."""
        return list(self.options.model_fields) if self.options is not None else []

    def call(self, plugin: Plugin, context: StageContext, options: StageOptions | None) -> Path:
        """Run the stage's method on ``plugin``; returns the path of what it wrote."""
        method = getattr(plugin, self.attribute)
        result = method(context) if self.options is None else method(context, options)
        return Path(result)


@overload
def stage(
    name: str,
    *,
    summary: str,
    options: None = None,
    model: ModelUse = "any",
    data: bool = False,
    model_options: Sequence[str] = (),
) -> Callable[[PlainStage[PluginT]], PlainStage[PluginT]]: ...


@overload
def stage(
    name: str,
    *,
    summary: str,
    options: type[OptionsT],
    model: ModelUse = "any",
    data: bool = False,
    model_options: Sequence[str] = (),
) -> Callable[[OptionsStage[PluginT, OptionsT]], OptionsStage[PluginT, OptionsT]]: ...


def stage(
    name: str,
    *,
    summary: str,
    options: type[StageOptions] | None = None,
    model: ModelUse = "any",
    data: bool = False,
    model_options: Sequence[str] = (),
) -> Callable[[Callable[..., Path]], Callable[..., Path]]:
    """Declare a plugin method as the offline stage ``name`` (``lvlmkb stage PLUGIN NAME``).

    Args:
        name: The stage's name on the command line (``optimize``, ``train``).
        summary: One line for ``lvlmkb stages``.
        options: A :class:`StageOptions` model of the stage's own ``--set`` keys; the method then takes
            ``(self, ctx, options)``, else ``(self, ctx)``.
        model: ``"none"`` (``--model`` refused), ``"any"`` (required) or ``"white-box"`` (required, ``hf``).
        data: Whether the stage reads ``--data`` and ``--limit``.
        model_options: Fields of ``options`` that hold model aliases, checked before anything runs.

    Returns:
        A decorator that leaves the method as it is, marked with its :class:`StageInfo`.
    """
    unknown = sorted(set(model_options) - set(options.model_fields if options is not None else ()))
    if unknown:
        raise LvlmkbError(f"stage '{name}': model_options {', '.join(unknown)} are not fields of its options")

    def declare(method: Callable[..., Path]) -> Callable[..., Path]:
        info = StageInfo(name, summary, method.__name__, options, model, data, tuple(model_options))
        setattr(method, STAGE_ATTRIBUTE, info)
        return method

    return declare


def stages_of(plugin_cls: type[Plugin]) -> dict[str, StageInfo]:
    """The stages a plugin class declares (its own and its bases'), by name.

    Raises:
        LvlmkbError: two methods declare the same stage name, or a stage option shadows a config key.
    """
    found: dict[str, StageInfo] = {}
    for klass in reversed(plugin_cls.__mro__):
        own: set[str] = set()
        for value in vars(klass).values():
            info = getattr(value, STAGE_ATTRIBUTE, None)
            if not isinstance(info, StageInfo):
                continue
            if info.name in own:
                raise LvlmkbError(f"{plugin_cls.__name__} declares the stage '{info.name}' twice")
            shadowed = sorted(set(info.option_keys()) & set(plugin_cls.Config.model_fields))
            if shadowed:
                raise LvlmkbError(
                    f"stage '{info.name}' of {plugin_cls.__name__}: options {', '.join(shadowed)} are config keys",
                    "rename them: one --set key must mean one thing",
                )
            own.add(info.name)
            found[info.name] = info
    return found


def validated(model_cls: type[ModelT], values: Mapping[str, Any], what: str, hint: str = SETTINGS_HINT) -> ModelT:
    """``model_cls(**values)``, or a usage error naming each bad key (``bad {what}: key: message``)."""
    from lvlmkb.eval.overrides import validation_problems

    try:
        return model_cls(**values)
    except ValidationError as err:
        raise UsageError(f"bad {what}: {validation_problems(err)}", hint) from err


def closest(word: str, known: Sequence[str]) -> str | None:
    """The one of ``known`` that ``word`` most likely misspells, if any is close."""
    close = suggestions(word, known, n=1)
    return close[0] if close else None


def did_you_mean(word: str, known: Sequence[str], what: str) -> str:
    """A hint: the closest of ``known`` (``did you mean 'x'?``), else ``what: `` and all of them."""
    close = closest(word, known)
    return f"did you mean '{close}'?" if close else f"{what}: {', '.join(known) or 'none'}"


def check_white_box(kb: KnowledgeBase, alias: str, options: BackendOptions, label: str) -> None:
    """The model ``alias`` runs on the ``hf`` backend (the only one that gives gradients) in a family it serves.

    Raises:
        UsageError: it runs on another backend, cannot run at all, or is of a family the white-box path
            cannot serve (so its loss would not be the model's own).
        NotFoundError: no such alias.
    """
    from lvlmkb.eval.backends.registry import (
        WHITE_BOX_FAMILIES,
        check_runnable,
        model_entry,
        white_box_families_text,
    )

    entry = model_entry(kb, alias)
    backend = check_runnable(entry, options)
    if backend != "hf":
        raise UsageError(
            f"model '{alias}' runs on the '{backend}' backend, which gives no gradients",
            f"{label} is white-box: choose a model with `backend: hf` in reproductions/models.yaml",
        )
    if entry.family not in WHITE_BOX_FAMILIES:
        raise UsageError(
            f"model '{alias}' ({entry.family} family) is not served by the white-box path",
            f"{label} computes the loss on one NCHW image per prompt, the inputs of "
            f"{white_box_families_text()} models only; choose one of those",
        )


def _quiet(message: str) -> None:
    """The default progress callback: say nothing."""


@dataclass(frozen=True)
class StageContext:
    """What a stage method is given: the checkout, its folder, the chosen model and helpers to open things.

    Nothing is opened until a helper is called, so a stage checks its own inputs first and then asks for
    the model.
    """

    kb: KnowledgeBase
    out: Path
    """The stage folder (``--out``): a rerun with the same folder resumes."""
    backend_options: BackendOptions
    """The target's ``--device``, ``--dtype`` and ``--trust-remote-code``."""
    roles: Mapping[Role, BackendOptions] = field(default_factory=dict)
    """The own options of the models in other roles (``--defender-device``, ...)."""
    model: str | None = None
    """The ``--model`` alias (None for a stage that takes none)."""
    data: Path | None = None
    """``--data``: the local copy of the stage's dataset."""
    limit: int | None = None
    """``--limit``: use only the first N samples."""
    report: Callable[[str], None] = _quiet
    """Progress and log lines (the command line prints them on stderr)."""
    label: str = "this stage"
    """``PLUGIN STAGE``, for messages."""

    @property
    def device(self) -> str | None:
        """``--device``, for a stage that runs a model of its own (an encoder) on it."""
        return self.backend_options.device

    def _alias(self, alias: str | None) -> str:
        chosen = alias if alias is not None else self.model
        if chosen is None:
            raise UsageError(f"{self.label} needs a model", "pass --model ALIAS (see `lvlmkb models`)")
        return chosen

    @property
    def context(self) -> RunContext:
        """The stage's models by role."""
        from lvlmkb.eval.context import RunContext

        return RunContext(self.kb, self.backend_options, self.roles)

    def open_model(self, alias: str | None = None, role: Role = "target") -> Backend:
        """The backend of ``alias`` (default: ``--model``) with ``role``'s options; weights load on first use."""
        return self.context.open_model(self._alias(alias), role)

    def white_box(self, alias: str | None = None) -> HFBackend:
        """The Hugging Face backend of ``alias`` (default: ``--model``), whose gradients a white-box stage needs.

        Raises:
            UsageError: the model runs on another backend, with a hint to choose an ``hf`` one.
        """
        chosen = self._alias(alias)
        check_white_box(self.kb, chosen, self.backend_options, self.label)
        from lvlmkb.eval.backends.hf import HFBackend

        backend = self.open_model(chosen)
        if not isinstance(backend, HFBackend):
            raise UsageError(f"model '{chosen}' did not open as a Hugging Face backend", "choose an hf model")
        return backend

    def dataset(self, name: str, data: Path | None = None, limit: int | None = None) -> list[Sample]:
        """The samples of dataset ``name`` (or of its local copy ``data``), the first ``limit`` only.

        Raises:
            NotFoundError: no such dataset.
            DatasetError: the data cannot be read.
        """
        from lvlmkb.eval.datasets.registry import load_dataset

        return load_dataset(name, data, limit).samples

    def method(self, method_id: str, settings: Mapping[str, Any] | None = None) -> Method:
        """The attack or benchmark ``method_id`` of the checkout, made with ``settings`` (validated).

        Raises:
            UsageError: no such method (with a did-you-mean), or a bad setting.
        """
        from lvlmkb.eval.registry import load_methods

        methods = load_methods(self.kb.project.reproductions_dir)
        if method_id not in methods:
            raise UsageError(f"no attack or benchmark '{method_id}'", did_you_mean(method_id, sorted(methods), "known"))
        method_cls = methods[method_id]
        hint = "see `lvlmkb methods --format json` for its keys"
        return method_cls(validated(method_cls.Config, settings or {}, f"settings for {method_id}", hint))
