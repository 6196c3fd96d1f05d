"""Backends by name, imported only when asked for, and model aliases resolved through the registry."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from lvlmkb.backends.base import Backend, BackendError
from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.kb import KnowledgeBase
from lvlmkb.schema import ModelEntry

# name -> (module, class, extra that provides its dependencies)
BACKENDS: dict[str, tuple[str, str, str | None]] = {
    "hf": ("lvlmkb.backends.hf", "HFBackend", "hf"),
    "openai": ("lvlmkb.backends.openai_compat", "OpenAIBackend", None),
    "mock": ("lvlmkb.backends.mock", "MockBackend", None),
}


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


def backend_class(name: str) -> type[Any]:
    """Import and return the class of backend ``name``."""
    if name not in BACKENDS:
        raise UsageError(f"unknown backend '{name}'", f"choose one of: {', '.join(sorted(BACKENDS))}")
    module_name, class_name, extra = BACKENDS[name]
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
    if entry.backend is None or entry.checkpoint is None:
        raise UsageError(
            f"model '{alias}' ({entry.label}) has no backend that runs it",
            entry.notes or "only models with a backend and a checkpoint in reproductions/models.yaml can run",
        )
    return entry


def open_backend(kb: KnowledgeBase, alias: str, options: BackendOptions | None = None) -> Backend:
    """Create the backend that runs ``alias`` (loading weights is the backend's business)."""
    entry = model_entry(kb, alias)
    assert entry.backend is not None and entry.checkpoint is not None
    cls = backend_class(entry.backend)
    backend: Backend = cls.from_entry(entry, options or BackendOptions())
    return backend
