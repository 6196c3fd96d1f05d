"""The backend contract: chat messages with images in, text out.

Attack and defense code builds :class:`GenerationRequest` objects from plain text and images; the
backend owns everything model-specific (chat template, image placement, tokenisation, batching).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from lvlmkb.errors import LvlmkbError

if TYPE_CHECKING:
    from PIL.Image import Image

Role = Literal["system", "user", "assistant"]


class BackendError(LvlmkbError):
    """A backend could not be created or could not answer."""


class BackendOutOfMemoryError(BackendError):
    """The accelerator ran out of memory for this batch; the runner retries with a smaller one."""


@dataclass(frozen=True)
class ImageInput:
    """An image carried as PNG bytes, so requests hash and cache deterministically."""

    png: bytes

    @property
    def sha256(self) -> str:
        """Hash of the PNG bytes."""
        return hashlib.sha256(self.png).hexdigest()

    @classmethod
    def from_pil(cls, image: Image) -> ImageInput:
        """Encode a PIL image (converted to RGB) as PNG."""
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG", compress_level=1)
        return cls(buffer.getvalue())

    def to_pil(self) -> Image:
        """Decode to an RGB PIL image."""
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(self.png)) as image:
            return image.convert("RGB")


Part = str | ImageInput


@dataclass(frozen=True)
class Message:
    """One chat turn: an ordered mix of text and images."""

    role: Role
    parts: tuple[Part, ...]

    @classmethod
    def user(cls, *parts: Part) -> Message:
        """A user turn."""
        return cls("user", tuple(parts))

    @property
    def images(self) -> list[ImageInput]:
        """The images of this turn, in order."""
        return [p for p in self.parts if isinstance(p, ImageInput)]

    @property
    def text(self) -> str:
        """The text parts joined by newlines."""
        return "\n".join(p for p in self.parts if isinstance(p, str))


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings. ``temperature == 0`` means greedy decoding."""

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0

    @property
    def greedy(self) -> bool:
        """True when decoding is deterministic."""
        return self.temperature <= 0.0


@dataclass(frozen=True)
class GenerationRequest:
    """A conversation to continue, with its decoding settings."""

    messages: tuple[Message, ...]
    settings: GenerationSettings = field(default_factory=GenerationSettings)

    def canonical(self) -> dict[str, Any]:
        """A JSON-ready description in which images appear as hashes."""
        turns = [
            {"role": m.role, "parts": [p if isinstance(p, str) else {"image": p.sha256} for p in m.parts]}
            for m in self.messages
        ]
        s = self.settings
        settings = {"max_new_tokens": s.max_new_tokens, "temperature": s.temperature, "top_p": s.top_p, "seed": s.seed}
        return {"messages": turns, "settings": settings}

    def key(self) -> str:
        """Stable hash of the request, the key of the generation cache."""
        text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class GenerationResponse:
    """What the model said; behind a defense, also what the defense did (its trace, JSON values)."""

    text: str
    token_ids: tuple[int, ...] = ()
    trace: dict[str, Any] | None = None


@runtime_checkable
class Backend(Protocol):
    """Anything that turns requests into responses, in order, one response per request."""

    name: str

    def describe(self) -> dict[str, Any]:
        """Settings and versions that identify this backend in a run record."""
        ...

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """Answer a batch of requests; may raise :class:`BackendOutOfMemoryError`."""
        ...


def single_turn(
    prompt: str, images: Sequence[ImageInput] = (), settings: GenerationSettings | None = None
) -> GenerationRequest:
    """The common case: one user turn, images first, then the text."""
    parts: tuple[Part, ...] = (*images, prompt)
    return GenerationRequest((Message.user(*parts),), settings or GenerationSettings())
