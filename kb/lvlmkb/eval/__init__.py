"""The reproduction engine, and the plugin author's API: ``from lvlmkb.eval import Method, sourced, ...``.

The engine may import :mod:`lvlmkb.kb` but never :mod:`lvlmkb.publish` or :mod:`lvlmkb.cli`. A plugin in
``reproductions/`` imports the names below from here; they are loaded on first use, so importing one
submodule (or ``lvlmkb --help``) does not pull in the rest of the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "LvlmkbError": "lvlmkb.errors",
    "UsageError": "lvlmkb.errors",
    "write_atomic": "lvlmkb.fsio",
    "cache_dir": "lvlmkb.cachedir",
    "Backend": "lvlmkb.eval.backends.base",
    "BackendError": "lvlmkb.eval.backends.base",
    "GenerationRequest": "lvlmkb.eval.backends.base",
    "GenerationResponse": "lvlmkb.eval.backends.base",
    "GenerationSettings": "lvlmkb.eval.backends.base",
    "ImageInput": "lvlmkb.eval.backends.base",
    "Message": "lvlmkb.eval.backends.base",
    "Part": "lvlmkb.eval.backends.base",
    "single_turn": "lvlmkb.eval.backends.base",
    "DatasetError": "lvlmkb.eval.datasets.base",
    "Sample": "lvlmkb.eval.datasets.base",
    "sha256_file": "lvlmkb.eval.datasets.base",
    "REFUSAL_LISTS": "lvlmkb.eval.judges.refusal",
    "RefusalList": "lvlmkb.eval.judges.refusal",
    "check_font": "lvlmkb.eval.media.fonts",
    "find_font": "lvlmkb.eval.media.fonts",
    "open_rgb": "lvlmkb.eval.media.imagefiles",
    "folder_image": "lvlmkb.eval.media.imagefiles",
    "folder_picture": "lvlmkb.eval.media.imagefiles",
    "pinned_file": "lvlmkb.eval.datasets.base",
    "CraftedInput": "lvlmkb.eval.plugin",
    "Defense": "lvlmkb.eval.plugin",
    "Deviation": "lvlmkb.eval.plugin",
    "Method": "lvlmkb.eval.plugin",
    "QueryAttack": "lvlmkb.eval.querying",
    "Attempt": "lvlmkb.eval.querying",
    "MethodConfig": "lvlmkb.eval.plugin",
    "Source": "lvlmkb.eval.plugin",
    "attack": "lvlmkb.eval.plugin",
    "as_it_is": "lvlmkb.eval.plugin",
    "answer_unflagged": "lvlmkb.eval.plugin",
    "last_user_index": "lvlmkb.eval.plugin",
    "with_user_text": "lvlmkb.eval.plugin",
    "benchmark": "lvlmkb.eval.plugin",
    "defense": "lvlmkb.eval.plugin",
    "sourced": "lvlmkb.eval.plugin",
    "AttachedImageConfig": "lvlmkb.eval.run.attached_image",
    "AttachedImageMethod": "lvlmkb.eval.run.attached_image",
    "read_state": "lvlmkb.eval.run.attached_image",
    "pixels_png": "lvlmkb.eval.run.attached_image",
    "resume_noise": "lvlmkb.eval.run.attached_image",
    "save_noise_checkpoint": "lvlmkb.eval.run.attached_image",
    "resumable_state": "lvlmkb.eval.run.attached_image",
    "HFBackend": "lvlmkb.eval.backends.hf",
    "missing_checkpoint_error": "lvlmkb.eval.backends.hf_inputs",
    "resolve_dtype": "lvlmkb.eval.backends.hf_inputs",
    "oom_guard": "lvlmkb.eval.backends.hf_inputs",
    "GeneratorSettings": "lvlmkb.eval.media.imagegen",
    "TextToImage": "lvlmkb.eval.media.imagegen",
    "FINAL": "lvlmkb.eval.run.attached_image",
    "STATE": "lvlmkb.eval.run.attached_image",
    "dataset": "lvlmkb.eval.registry",
    "RemoteFile": "lvlmkb.eval.datasets.base",
    "HubPin": "lvlmkb.eval.datasets.hub",
    "fetch_hub": "lvlmkb.eval.datasets.hub",
    "extracted_dir": "lvlmkb.eval.datasets.hub",
    "note_origin": "lvlmkb.eval.datasets.hub",
    "fetch": "lvlmkb.eval.datasets.base",
    "inside": "lvlmkb.eval.datasets.base",
    "find_data_file": "lvlmkb.eval.datasets.base",
    "find_data_root": "lvlmkb.eval.datasets.base",
    "is_file": "lvlmkb.eval.datasets.base",
    "register_judge": "lvlmkb.eval.registry",
    "Judge": "lvlmkb.eval.judges.base",
    "LlamaGuardVision": "lvlmkb.eval.judges.moderation",
    "GuardModel": "lvlmkb.eval.judges.guard_model",
    "Verdict": "lvlmkb.eval.judges.base",
    "StageContext": "lvlmkb.eval.stages",
    "StageOptions": "lvlmkb.eval.stages",
    "stage": "lvlmkb.eval.stages",
}

__all__ = [
    "FINAL",
    "REFUSAL_LISTS",
    "STATE",
    "AttachedImageConfig",
    "AttachedImageMethod",
    "Attempt",
    "Backend",
    "BackendError",
    "CraftedInput",
    "DatasetError",
    "Defense",
    "Deviation",
    "GenerationRequest",
    "GenerationResponse",
    "GenerationSettings",
    "GeneratorSettings",
    "GuardModel",
    "HFBackend",
    "HubPin",
    "ImageInput",
    "Judge",
    "LlamaGuardVision",
    "LvlmkbError",
    "Message",
    "Method",
    "MethodConfig",
    "Part",
    "QueryAttack",
    "RefusalList",
    "RemoteFile",
    "Sample",
    "Source",
    "StageContext",
    "StageOptions",
    "TextToImage",
    "UsageError",
    "Verdict",
    "answer_unflagged",
    "as_it_is",
    "attack",
    "benchmark",
    "cache_dir",
    "check_font",
    "dataset",
    "defense",
    "extracted_dir",
    "fetch",
    "fetch_hub",
    "find_data_file",
    "find_data_root",
    "find_font",
    "folder_image",
    "folder_picture",
    "inside",
    "is_file",
    "last_user_index",
    "missing_checkpoint_error",
    "note_origin",
    "oom_guard",
    "open_rgb",
    "pinned_file",
    "pixels_png",
    "read_state",
    "register_judge",
    "resolve_dtype",
    "resumable_state",
    "resume_noise",
    "save_noise_checkpoint",
    "sha256_file",
    "single_turn",
    "sourced",
    "stage",
    "with_user_text",
    "write_atomic",
]

if TYPE_CHECKING:
    from lvlmkb.cachedir import cache_dir
    from lvlmkb.errors import LvlmkbError, UsageError
    from lvlmkb.eval.backends.base import (
        Backend,
        BackendError,
        GenerationRequest,
        GenerationResponse,
        GenerationSettings,
        ImageInput,
        Message,
        Part,
        single_turn,
    )
    from lvlmkb.eval.backends.hf import HFBackend
    from lvlmkb.eval.backends.hf_inputs import missing_checkpoint_error, oom_guard, resolve_dtype
    from lvlmkb.eval.datasets.base import (
        DatasetError,
        RemoteFile,
        Sample,
        fetch,
        find_data_file,
        find_data_root,
        inside,
        is_file,
        pinned_file,
        sha256_file,
    )
    from lvlmkb.eval.datasets.hub import HubPin, extracted_dir, fetch_hub, note_origin
    from lvlmkb.eval.judges.base import Judge, Verdict
    from lvlmkb.eval.judges.guard_model import GuardModel
    from lvlmkb.eval.judges.moderation import LlamaGuardVision
    from lvlmkb.eval.judges.refusal import REFUSAL_LISTS, RefusalList
    from lvlmkb.eval.media.fonts import check_font, find_font
    from lvlmkb.eval.media.imagefiles import folder_image, folder_picture, open_rgb
    from lvlmkb.eval.media.imagegen import GeneratorSettings, TextToImage
    from lvlmkb.eval.plugin import (
        CraftedInput,
        Defense,
        Deviation,
        Method,
        MethodConfig,
        Source,
        answer_unflagged,
        as_it_is,
        attack,
        benchmark,
        defense,
        last_user_index,
        sourced,
        with_user_text,
    )
    from lvlmkb.eval.querying import Attempt, QueryAttack
    from lvlmkb.eval.registry import dataset, register_judge
    from lvlmkb.eval.run.attached_image import (
        FINAL,
        STATE,
        AttachedImageConfig,
        AttachedImageMethod,
        pixels_png,
        read_state,
        resumable_state,
        resume_noise,
        save_noise_checkpoint,
    )
    from lvlmkb.eval.stages import StageContext, StageOptions, stage
    from lvlmkb.fsio import write_atomic


def __getattr__(name: str) -> Any:
    """Load an exported name from its module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lvlmkb.eval' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
