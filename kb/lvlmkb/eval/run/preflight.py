"""Checks of a run's arguments that need no model, made before any weights load or any progress is drawn."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

from lvlmkb.choices import choice_hint
from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.hf_inputs import DTYPES
from lvlmkb.eval.datasets.registry import dataset_entry
from lvlmkb.eval.judges.registry import default_registry
from lvlmkb.eval.plugin import Method
from lvlmkb.eval.registry import datasets

DEVICE = re.compile(r"^(?:cpu|mps|cuda(?::\d+)?)$")
DTYPE_CHOICES = ("auto", *DTYPES)


def check_judges(
    judge_ids: tuple[str, ...] | list[str],
    judge_model: str | None,
    settings: dict[str, Any] | None = None,
    *,
    models: bool = True,
) -> None:
    """Every judge exists (with a did-you-mean), the LLM judges have a model to ask, ``--judge-set`` values fit.

    ``models=False`` leaves out the check that an LLM judge has its model (the matrix marks such a cell instead).

    Raises:
        UsageError: an unknown judge, an LLM judge without ``--judge-model``, or a setting no judge takes.
    """
    registry = default_registry()
    known = registry.ids()
    for judge_id in judge_ids:
        if judge_id not in known:
            raise UsageError(f"no judge '{judge_id}'", choice_hint("judge", judge_id, known, "`lvlmkb judges`"))
        if models and registry.needs_model(judge_id) and judge_model is None:
            raise UsageError(f"judge '{judge_id}' needs a model", "pass --judge-model ALIAS")
    registry.split_settings(judge_ids, settings or {})


def check_dataset_fields(method: Method, dataset: str) -> None:
    """The dataset is registered and declares every field the configured method reads.

    Raises:
        NotFoundError: no such dataset.
        UsageError: a field the method reads is not one the dataset's rows have, naming datasets that fit.
    """
    entry = dataset_entry(dataset)
    needed = method.needed_fields()
    missing = [name for name in needed if name not in entry.fields]
    if missing:
        fitting = [name for name, other in datasets().items() if all(f in other.fields for f in needed)]
        raise UsageError(
            f"dataset '{dataset}' has no field {', '.join(repr(m) for m in missing)}, which {method.id} reads",
            f"datasets whose rows have {', '.join(needed)}: {', '.join(fitting) or 'none'} (see `lvlmkb datasets`)",
        )


def check_device(device: str | None, backend: str, flag: str = "--device") -> None:
    """The device is one torch knows, and the installed torch can reach it (checked for the hf backend only).

    Raises:
        UsageError: a malformed device, or CUDA asked of a torch build without it.
    """
    if device is None:
        return
    if not DEVICE.match(device):
        raise UsageError(f"{flag} '{device}' is not a device", "use cpu, cuda, cuda:N or mps")
    if backend != "hf" or not device.startswith("cuda") or importlib.util.find_spec("torch") is None:
        return
    import torch

    if not torch.cuda.is_available():
        raise UsageError(
            f"{flag} {device}: the installed torch {torch.__version__} cannot use CUDA here",
            "install a CUDA build of torch on a machine with a GPU, or pass --device cpu",
        )
    index = int(device.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise UsageError(f"{flag} {device}: only {torch.cuda.device_count()} CUDA device(s)", "pick another index")


def check_dtype(dtype: str | None, flag: str = "--dtype") -> None:
    """The dtype is one of the choices.

    Raises:
        UsageError: naming the choices.
    """
    if dtype is not None and dtype not in DTYPE_CHOICES:
        raise UsageError(f"{flag} '{dtype}' is not a choice", f"choose one of: {', '.join(DTYPE_CHOICES)}")
