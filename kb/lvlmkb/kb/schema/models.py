"""Model registry entries (``reproductions/models.yaml``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lvlmkb.kb.schema.common import Label, ModelId, ShortText, Slug, StrictModel

Dtype = Literal["auto", "bfloat16", "float16", "float32"]


class ModelEntry(StrictModel):
    """A model that papers evaluate and, where a backend is named, that lvlmkb can run."""

    id: ModelId
    label: Label
    family: Slug
    checkpoint: str | None = Field(default=None, description="Hugging Face repo id.")
    revision: str | None = Field(default=None, description="Pinned commit of the checkpoint.")
    backend: Slug | None = Field(default=None, description="Backend that runs it (hf, openai).")
    served_name: str | None = Field(
        default=None,
        description="Model name on OpenAI-compatible servers (the vendor API for closed models); default: checkpoint.",
    )
    dtype: Dtype = "auto"
    notes: ShortText | None = None


class ModelRegistryFile(StrictModel):
    """The content of ``reproductions/models.yaml``."""

    models: list[ModelEntry] = Field(default_factory=list)
