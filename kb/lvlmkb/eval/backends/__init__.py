"""Inference backends: a small protocol, lazily imported implementations, and the model registry."""

from lvlmkb.eval.backends.base import (
    Backend,
    BackendError,
    BackendOutOfMemoryError,
    GenerationRequest,
    GenerationResponse,
    GenerationSettings,
    ImageInput,
    Message,
    single_turn,
)

__all__ = [
    "Backend",
    "BackendError",
    "BackendOutOfMemoryError",
    "GenerationRequest",
    "GenerationResponse",
    "GenerationSettings",
    "ImageInput",
    "Message",
    "single_turn",
]
