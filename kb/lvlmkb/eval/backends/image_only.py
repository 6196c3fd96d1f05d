"""Image-only processors for the families whose transformers 5 processor also builds a video processor.

Qwen2-VL, Qwen2.5-VL, LLaVA-OneVision, InternVL and SmolVLM ship processors with three parts: an image processor,
a tokenizer and a video processor. transformers 5 builds the video processors with torchvision, which
lvlmkb does not install on CPU machines (its CPU wheel pulls a different torch build), so
``AutoProcessor.from_pretrained`` fails there with an ``ImportError``. lvlmkb's prompts carry images and
text only, so the backend then loads the same processor class without its video part: each subclass below
keeps the base class's own code (its image-token expansion, its chat template, its outputs) and only drops
``video_processor`` from its parts, so ``from_pretrained`` loads the image processor (the PIL one when
torchvision is missing) and the tokenizer. A request with a video cannot be expressed in lvlmkb, so
nothing is lost; with torchvision installed the full processor loads as usual and this module is not used.

SmolVLM's processor also reads its video processor's frame settings in every ``apply_chat_template``
call; its image-only form uses the generic ``apply_chat_template`` of ``ProcessorMixin`` instead (the
frame settings only sample videos). It needs the ``num2words`` package, a dependency of ``lvlmkb[hf]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import transformers


class ImageOnlyQwen2VLProcessor(transformers.Qwen2VLProcessor):
    """Qwen2-VL's processor without its video processor."""

    def __init__(
        self, image_processor: Any = None, tokenizer: Any = None, chat_template: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template, **kwargs)  # type: ignore[no-untyped-call]


class ImageOnlyQwen2_5_VLProcessor(transformers.Qwen2_5_VLProcessor):
    """Qwen2.5-VL's processor without its video processor."""

    def __init__(
        self, image_processor: Any = None, tokenizer: Any = None, chat_template: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template, **kwargs)  # type: ignore[no-untyped-call]


class ImageOnlyLlavaOnevisionProcessor(transformers.LlavaOnevisionProcessor):
    """LLaVA-OneVision's processor without its video processor."""

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        num_image_tokens: int | None = None,
        vision_feature_select_strategy: str | None = None,
        chat_template: Any = None,
        image_token: str = "<image>",  # noqa: S107 (a token of the vocabulary, not a secret)
        video_token: str = "<video>",  # noqa: S107
        vision_aspect_ratio: str = "anyres_max_9",
        **kwargs: Any,
    ) -> None:
        super().__init__(  # type: ignore[no-untyped-call]
            image_processor,
            tokenizer,
            None,
            num_image_tokens,
            vision_feature_select_strategy,
            chat_template,
            image_token,
            video_token,
            vision_aspect_ratio,
            **kwargs,
        )


class ImageOnlyInternVLProcessor(transformers.InternVLProcessor):
    """InternVL's processor without its video processor."""

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        image_seq_length: int = 256,
        chat_template: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(image_processor, tokenizer, None, image_seq_length, chat_template, **kwargs)


class ImageOnlySmolVLMProcessor(transformers.SmolVLMProcessor):
    """SmolVLM's processor without its video processor (and without the video defaults of its chat template)."""

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        image_seq_len: int = 169,
        chat_template: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(image_processor, tokenizer, None, image_seq_len, chat_template, **kwargs)

    def apply_chat_template(  # type: ignore[override]  # every argument is forwarded unchanged
        self, conversation: Any, chat_template: Any = None, **kwargs: Any
    ) -> Any:
        """``ProcessorMixin.apply_chat_template``: SmolVLM's own only adds the video processor's frame settings."""
        return transformers.ProcessorMixin.apply_chat_template(self, conversation, chat_template, **kwargs)


IMAGE_ONLY: dict[str, type[Any]] = {
    "qwen2_vl": ImageOnlyQwen2VLProcessor,
    "qwen2_5_vl": ImageOnlyQwen2_5_VLProcessor,
    "llava_onevision": ImageOnlyLlavaOnevisionProcessor,
    "internvl": ImageOnlyInternVLProcessor,
    "smolvlm": ImageOnlySmolVLMProcessor,
}
"""The image-only processor class per ``model_type``."""


def load_processor(source: str | Path, **kwargs: Any) -> Any:
    """``AutoProcessor.from_pretrained``, or the image-only processor when the video part needs a missing library.

    Raises:
        ImportError: The processor cannot be built and its family has no image-only form.
    """
    try:
        return transformers.AutoProcessor.from_pretrained(source, **kwargs)  # type: ignore[no-untyped-call]
    except ImportError:
        model_type = transformers.AutoConfig.from_pretrained(source, **kwargs).model_type
        processor = image_only_processor(source, model_type, **kwargs)
        if processor is None:
            raise
        return processor


def image_only_processor(source: str | Path, model_type: str, **kwargs: Any) -> Any | None:
    """The image-only processor of ``source``, or None when ``model_type`` has none.

    Args:
        source: A checkpoint folder or hub id, as given to ``AutoProcessor.from_pretrained``.
        model_type: The checkpoint's ``config.model_type``.
        **kwargs: ``from_pretrained`` options (revision, trust_remote_code).

    Returns:
        The processor, or None for a family not listed in :data:`IMAGE_ONLY`.
    """
    cls = IMAGE_ONLY.get(model_type)
    return None if cls is None else cls.from_pretrained(source, **kwargs)
