"""Opening a model: its alias resolved through the KB's registry, its backend through the one registry (lazily)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from lvlmkb.choices import choice_hint
from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.eval.backends.base import Backend, BackendError
from lvlmkb.eval.backends.preprocessing import PREPROCESSING_CHOICES
from lvlmkb.eval.registry import backends
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.schema import ModelEntry


class MissingExtraError(BackendError):
    """The optional dependencies of a backend are not installed."""


@dataclass(frozen=True)
class BackendOptions:
    """Command-line settings passed to whichever backend runs the model."""

    device: str | None = None
    dtype: str | None = None
    trust_remote_code: bool = False
    base_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    backend: str | None = None
    """``--backend``: overrides the registry's backend for the alias."""
    served_model: str | None = None
    """``--served-model``: the model name an OpenAI-compatible server knows the alias by."""


def options_for_role(target: BackendOptions, own: BackendOptions | None) -> BackendOptions:
    """The options a model in another role opens with (a judge, a defender, an auxiliary model).

    Its own (``--judge-*``, ``--defender-*``), with the device and dtype the target's unless given. It never
    inherits the target's server, backend, served name, backend options or trust_remote_code. This is the
    one place the rule lives; ``own`` holds only what the user gave for that role.
    """
    own = own or BackendOptions()
    return BackendOptions(
        device=own.device or target.device,
        dtype=own.dtype or target.dtype,
        base_url=own.base_url,
        extra=own.extra,
        backend=own.backend,
        served_model=own.served_model,
    )


def backend_name(entry: ModelEntry, options: BackendOptions) -> str:
    """The backend that runs ``entry``: ``--backend``, else ``openai`` with ``--base-url``, else the registry's.

    Raises:
        UsageError: unknown backend, or none named anywhere.
    """
    name = options.backend or ("openai" if options.base_url else entry.backend)
    if name is None:
        raise UsageError(
            f"model '{entry.id}' ({entry.label}) has no backend that runs it",
            entry.notes or "pass --backend, or --base-url for a server that serves it",
        )
    if name not in backends():
        raise UsageError(f"unknown backend '{name}'", choice_hint("backend", name, backends()))
    if options.base_url and name != "openai":
        raise UsageError(f"--base-url is for the openai backend, not '{name}'", "drop --backend or --base-url")
    return name


def served_model(entry: ModelEntry, options: BackendOptions) -> str | None:
    """The name sent as ``model`` to an OpenAI-compatible server."""
    return options.served_model or entry.served_name or entry.checkpoint


def backend_class(name: str) -> type[Any]:
    """Import and return the class of backend ``name``."""
    entry = backends().get(name)
    if entry is None:
        raise UsageError(f"unknown backend '{name}'", choice_hint("backend", name, backends()))
    (module_name, class_name), extra = entry.target.split(":"), entry.extra
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        hint = f"pip install 'lvlmkb[{extra}]'" if extra else "reinstall lvlmkb"
        raise MissingExtraError(f"backend '{name}' needs packages that are not installed ({err.name})", hint) from err
    cls: type[Any] = getattr(module, class_name)
    return cls


def model_entry(kb: KnowledgeBase, alias: str) -> ModelEntry:
    """The registry entry for ``alias``, or a helpful error."""
    entry = kb.models.get(alias)
    if entry is None:
        import difflib

        close = difflib.get_close_matches(alias, list(kb.models), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see `lvlmkb models`"
        raise NotFoundError(f"no model '{alias}' in reproductions/models.yaml", hint)
    return entry


def check_runnable(entry: ModelEntry, options: BackendOptions) -> str:
    """Check, before anything loads, that ``entry`` can run with ``options``; return the backend name.

    Raises:
        UsageError: no backend, no checkpoint or served name, or a ``--backend-option`` the backend does not take.
    """
    name = backend_name(entry, options)
    if name == "openai" and served_model(entry, options) is None:
        raise UsageError(f"model '{entry.id}' has no served name", "pass --served-model NAME")
    if name == "hf" and entry.checkpoint is None:
        raise UsageError(
            f"model '{entry.id}' ({entry.label}) has no checkpoint for the hf backend",
            entry.notes or "set `checkpoint` in reproductions/models.yaml, or serve it and pass --base-url",
        )
    unknown = sorted(set(options.extra) - BACKEND_OPTIONS[name])
    if unknown:
        allowed = ", ".join(sorted(BACKEND_OPTIONS[name])) or "none"
        raise UsageError(f"backend '{name}' takes no option {', '.join(unknown)}", f"its options: {allowed}")
    choice = options.extra.get("preprocessing", "original")
    if name == "hf" and choice not in PREPROCESSING_CHOICES:
        raise UsageError(
            f"preprocessing={choice} is not a choice", f"choose one of: {', '.join(PREPROCESSING_CHOICES)}"
        )
    return name


WHITE_BOX_FAMILIES = frozenset({"gemma-3", "janus", "llava"})
"""The ``hf`` families whose white-box loss is the model's own (``HFBackend.loss_from_pixels`` is tested equal
to the loss of the model on the processor's own inputs for them). The path optimises one NCHW image at model
resolution and passes every other processor output (Gemma 3's ``token_type_ids``, which give image tokens
bidirectional attention). The others are refused: LLaVA-NeXT, Idefics2/3, SmolVLM, Mllama and Qwen cut the
image into tiles (5-D/6-D pixels with ``image_sizes``, ``pixel_attention_mask``, ``image_grid_thw`` or
aspect-ratio masks), so a perturbation of one image would need their tiling rebuilt differentiably in torch,
and InternVL scores one image's tiles as several images."""


def white_box_families_text() -> str:
    """The served families for a message: ``gemma-3, janus and llava``."""
    names = sorted(WHITE_BOX_FAMILIES)
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]


BACKEND_OPTIONS: dict[str, frozenset[str]] = {
    "hf": frozenset({"preprocessing"}),
    "openai": frozenset({"concurrency", "timeout", "max_retries", "backoff"}),
    "mock": frozenset({"oom_above", "delay"}),
}
"""The ``--backend-option`` keys each backend reads; any other key is refused rather than silently ignored."""


def open_backend(kb: KnowledgeBase, alias: str, options: BackendOptions | None = None) -> Backend:
    """Create the backend that runs ``alias`` (loading weights is the backend's business)."""
    entry = model_entry(kb, alias)
    options = options or BackendOptions()
    cls = backend_class(check_runnable(entry, options))
    backend: Backend = cls.from_entry(entry, options)
    return backend
