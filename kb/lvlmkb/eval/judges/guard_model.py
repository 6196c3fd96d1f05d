"""A guard checkpoint loaded on first use through transformers' Auto classes (never remote code)."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

from lvlmkb.eval.backends.base import BackendError
from lvlmkb.eval.backends.hf_inputs import missing_checkpoint_error, resolve_dtype
from lvlmkb.eval.datasets.base import Sample

BEHAVIOR_FIELDS = ("behavior", "question", "instruction")
CONTEXT_FIELDS = ("redacted_image_description", "image_description", "context")


def sample_text(sample: Sample, names: tuple[str, ...], default: str | None = None) -> str | None:
    """The first non-empty field of ``sample`` among ``names``, else ``default``."""
    return next((sample.fields[n] for n in names if sample.fields.get(n, "").strip()), default)


class GuardModel:
    """A checkpoint loaded on first use: model and tokenizer (or processor), device and dtype."""

    def __init__(self, checkpoint: str, revision: str | None, device: str | None, dtype: str | None) -> None:
        import torch

        self.checkpoint = checkpoint
        self.revision = revision
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = resolve_dtype(dtype, self.device)
        self.model: Any = None
        self.tokenizer: Any = None

    def load(self, model_class: str, tokenizer_class: str, **tokenizer_kwargs: Any) -> tuple[Any, Any]:
        """Load (once) ``transformers.<model_class>`` and ``<tokenizer_class>`` from the checkpoint."""
        if self.model is None:
            import torch
            import transformers

            local = Path(self.checkpoint).is_dir()
            # Judge checkpoints are native transformers models: their repositories' code never runs.
            kwargs: dict[str, Any] = {"revision": None if local else self.revision, "trust_remote_code": False}
            model_kwargs: dict[str, Any] = {"dtype": getattr(torch, self.dtype)}
            if self.device != "cpu":
                model_kwargs["device_map"] = self.device
            try:
                if tokenizer_class == "AutoProcessor":  # the image-only one where a video part needs torchvision
                    from lvlmkb.eval.backends.image_only import load_processor

                    tokenizer = load_processor(self.checkpoint, **kwargs, **tokenizer_kwargs)
                else:
                    tokenizer = getattr(transformers, tokenizer_class).from_pretrained(
                        self.checkpoint, **kwargs, **tokenizer_kwargs
                    )
                model = getattr(transformers, model_class).from_pretrained(self.checkpoint, **kwargs, **model_kwargs)
            except OSError as err:
                raise missing_checkpoint_error(self.checkpoint, kwargs["revision"], err) from err
            except ValueError as err:
                raise BackendError(
                    f"cannot load judge checkpoint '{self.checkpoint}': {err}", "check the path"
                ) from err
            except ImportError as err:
                reason = (str(err).strip() or type(err).__name__).splitlines()[0]
                raise BackendError(
                    f"cannot load judge checkpoint '{self.checkpoint}': {reason}",
                    "install the missing library named above in lvlmkb's environment",
                ) from err
            self.model, self.tokenizer = model.eval(), tokenizer
        return self.model, self.tokenizer

    def describe(self) -> dict[str, Any]:
        """Checkpoint, revision, resolved commit (once loaded), device, dtype and the transformers version."""
        commit = getattr(getattr(self.model, "config", None), "_commit_hash", None)
        return {
            "checkpoint": self.checkpoint,
            "revision": self.revision,
            "commit": commit,
            "device": self.device,
            "dtype": self.dtype,
            "transformers": importlib.metadata.version("transformers"),
        }
