"""Framework-free helpers of the Hugging Face backend: chat conversion, batching, trimming, error messages."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lvlmkb.eval.backends.base import (
    BackendError,
    BackendOutOfMemoryError,
    GenerationRequest,
    GenerationSettings,
    Message,
)

DTYPES = ("bfloat16", "float16", "float32")


class _CosmeticWarnings(logging.Filter):
    """Drop two warnings that transformers logs on every Janus ``generate`` call although nothing is wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "seem to have been set" not in message and "generation-related arguments" not in message


def quiet_cosmetic_warnings() -> None:
    """Silence transformers' harmless per-call Janus generation warnings (once per process)."""
    logger = logging.getLogger("transformers.generation.utils")
    if not any(isinstance(f, _CosmeticWarnings) for f in logger.filters):
        logger.addFilter(_CosmeticWarnings())


def is_out_of_memory(err: BaseException) -> bool:
    """True for ``torch.cuda.OutOfMemoryError`` and for runtime errors that say "out of memory"."""
    return type(err).__name__ == "OutOfMemoryError" or (isinstance(err, RuntimeError) and "out of memory" in str(err))


@contextmanager
def oom_guard(what: str, cleanup: Callable[[], None] | None = None) -> Iterator[None]:
    """Turn an accelerator out-of-memory error raised inside the block into :class:`BackendOutOfMemoryError`.

    Args:
        what: What was being done, for the message.
        cleanup: Called before raising (e.g. to empty the CUDA cache).

    Yields:
        Nothing.
    """
    try:
        yield
    except Exception as err:
        if not is_out_of_memory(err):
            raise
        if cleanup is not None:
            cleanup()
        raise BackendOutOfMemoryError(f"out of memory {what}", "retry with a smaller batch") from err


def to_chat(messages: Sequence[Message], prepare: Callable[[Any], Any] | None = None) -> list[dict[str, Any]]:
    """Convert messages to the processor chat format, images as PIL in the order of the parts.

    Args:
        messages: The conversation.
        prepare: A step each PIL image goes through first (the family's original preprocessing).

    Returns:
        A list of ``{"role", "content"}`` dicts whose content items are typed text or image blocks.
    """

    def image(part: Any) -> Any:
        pil = part.to_pil()
        return prepare(pil) if prepare is not None else pil

    return [
        {
            "role": message.role,
            "content": [
                {"type": "text", "text": part} if isinstance(part, str) else {"type": "image", "image": image(part)}
                for part in message.parts
            ],
        }
        for message in messages
    ]


def group_by_settings(requests: Sequence[GenerationRequest]) -> list[tuple[GenerationSettings, list[int]]]:
    """Group request indices by equal settings, groups in order of first appearance.

    Args:
        requests: The batch.

    Returns:
        ``(settings, indices)`` pairs; every index appears in exactly one group.
    """
    groups: dict[GenerationSettings, list[int]] = {}
    for index, request in enumerate(requests):
        groups.setdefault(request.settings, []).append(index)
    return list(groups.items())


def trim_generated(token_ids: Iterable[int], eos_ids: set[int]) -> tuple[int, ...]:
    """Cut a generated sequence before its first end-of-sequence token.

    In a batch, a finished sequence goes on with padding, while alone it stops; cutting at the first
    end-of-sequence token makes both the same.

    Args:
        token_ids: Generated ids, prompt excluded.
        eos_ids: Ids that end generation.

    Returns:
        The ids before the first end-of-sequence token.
    """
    kept: list[int] = []
    for token in token_ids:
        if token in eos_ids:
            break
        kept.append(token)
    return tuple(kept)


def eos_set(value: int | list[int] | None) -> set[int]:
    """Normalise a generation config's ``eos_token_id`` to a set."""
    if value is None:
        return set()
    return {value} if isinstance(value, int) else set(value)


def resolve_dtype(requested: str | None, device: str) -> str:
    """Resolve ``auto`` (or nothing) to bfloat16 on CUDA and float32 elsewhere.

    Args:
        requested: ``auto``, a dtype name, or None.
        device: The resolved device string.

    Returns:
        One of :data:`DTYPES`.

    Raises:
        BackendError: The dtype is unknown.
    """
    if requested in (None, "auto"):
        return "bfloat16" if device.startswith("cuda") else "float32"
    if requested not in DTYPES:
        raise BackendError(f"unknown dtype '{requested}'", f"choose one of: auto, {', '.join(DTYPES)}")
    return requested


def hub_offline() -> bool:
    """True when Hugging Face Hub access is switched off through the environment."""
    flags = (os.environ.get("HF_HUB_OFFLINE", ""), os.environ.get("TRANSFORMERS_OFFLINE", ""))
    return any(flag.strip().lower() in {"1", "true", "yes", "on"} for flag in flags)


def missing_checkpoint_error(checkpoint: str, revision: str | None, cause: BaseException) -> BackendError:
    """Build the error raised when a checkpoint cannot be loaded from the local cache or the hub.

    Args:
        checkpoint: Hugging Face repo id (or local path).
        revision: Pinned revision, if any.
        cause: The error transformers raised.

    Returns:
        A :class:`BackendError` whose hint says how to pre-download the weights.
    """
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    where = f"'{checkpoint}'" + (f" at revision {revision}" if revision else "")
    rev = f" --revision {revision}" if revision else ""
    hub_home = os.environ.get("HF_HOME", "~/.cache/huggingface")
    hint = (
        f"download it first on a machine with network access: `hf download {checkpoint}{rev}` "
        f"(older clients: `huggingface-cli download {checkpoint}{rev}`); HF_HOME decides where the cache lives "
        f"(now {hub_home}), so copy that cache or point HF_HOME at it on this machine"
    )
    if hub_offline():
        hint += "; HF_HUB_OFFLINE=1 is set, so only the local cache is searched"
    return BackendError(f"cannot load checkpoint {where}: {first_line}", hint)


GENERATED_INPUTS = frozenset({"input_ids", "attention_mask", "pixel_values"})
"""Processor outputs the white-box path builds itself; every other output is passed to the model as it is."""


def prompt_target_ids(
    processor: Any, prompt: str, target: str, images: int, size: tuple[int, int]
) -> tuple[list[int], int, dict[str, Any]]:
    """Token ids of a user turn (``images`` images, then ``prompt``) continued by the assistant with ``target``.

    The assistant prefix comes from the chat template (``continue_final_message``), so spacing after
    ``ASSISTANT:`` and the like is the template's. A token that merges the end of the prompt with the
    start of the target counts as target.

    Args:
        processor: A multimodal processor with a chat template.
        prompt: The user text.
        target: The answer to score.
        images: Number of images in the turn.
        size: (width, height) of each image; only their token count matters.

    Returns:
        The full id list, the number of leading prompt ids, and the processor's other outputs for the full
        text (Gemma 3's ``token_type_ids``, which give image tokens bidirectional attention), as tensors.

    Raises:
        BackendError: The target adds no token.
    """
    from PIL import Image

    blanks = [Image.new("RGB", size) for _ in range(images)]
    user = {"role": "user", "content": [*({"type": "image"} for _ in blanks), {"type": "text", "text": prompt}]}
    answer = {"role": "assistant", "content": [{"type": "text", "text": target}]}
    prompt_text = processor.apply_chat_template([user], add_generation_prompt=True, tokenize=False)
    full_text = processor.apply_chat_template([user, answer], continue_final_message=True, tokenize=False)
    bos = processor.tokenizer.bos_token
    special = not (bos and prompt_text.startswith(bos))  # as apply_chat_template(tokenize=True) decides
    prompt_out, full_out = (
        processor(text=text, images=blanks or None, add_special_tokens=special, return_tensors="pt")
        for text in (prompt_text, full_text)
    )
    prompt_ids, full_ids = (list(map(int, out["input_ids"][0])) for out in (prompt_out, full_out))
    extras = {name: value for name, value in full_out.items() if name not in GENERATED_INPUTS}
    common = 0
    while common < min(len(prompt_ids), len(full_ids)) and prompt_ids[common] == full_ids[common]:
        common += 1
    if common >= len(full_ids):
        raise BackendError(f"the target {target!r} adds no tokens to the prompt", "give a non-empty target")
    return full_ids, common, extras
