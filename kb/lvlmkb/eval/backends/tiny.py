"""Tiny random vision-language models for tests, built offline from configs.

Each model is built once, deterministically (fixed seeds, a BPE tokenizer trained on a fixed in-memory
corpus), saved with ``save_pretrained`` and then loaded back through ``AutoProcessor`` and
``AutoModelForImageTextToText`` exactly like a real checkpoint. The processors carry small chat templates
that mimic the real ones, so the backend code that formats prompts is exercised as it is on real models.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lvlmkb.cachedir import cache_dir

TINY_PREFIX = "lvlmkb-tiny/"
TINY_FAMILIES: tuple[str, ...] = (
    "janus",
    "llava",
    "llava-next",
    "gemma-3",
    "idefics",
    "mllama",
    "qwen2-vl",
    "qwen2-5-vl",
    "llava-onevision",
    "internvl",
    "smolvlm",
)
TINY_VERSION = 1
_MARKER = "lvlmkb-tiny.json"
_SEED = 1234

# Janus-Pro style: "<|User|>: <image_placeholder>\n{text}\n\n<|Assistant|>:" (deepseek-community conversion).
JANUS_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '<|User|>: ' }}"
    "{% elif message['role'] == 'assistant' %}{{ '<|Assistant|>: ' }}"
    "{% else %}{{ message['role'] | capitalize ~ ': ' }}{% endif %}"
    "{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}"
    "{% if not loop.first %}{{ '\\n' }}{% endif %}{{ '<image_placeholder>' }}"
    "{% if not loop.last %}{{ '\\n' }}{% endif %}"
    "{% elif part['type'] == 'text' %}"
    "{% if not loop.first and message['content'][loop.index0 - 1]['type'] == 'text' %}{{ ' ' }}{% endif %}"
    "{{ part['text'] | trim }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if not loop.last or add_generation_prompt %}"
    "{% if message['role'] == 'assistant' %}{{ '<｜end▁of▁sentence｜>' }}{% else %}{{ '\\n\\n' }}{% endif %}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|Assistant|>:' }}{% endif %}"
)

# LLaVA-1.5 style (llava-hf): "USER: <image>\n{text} ASSISTANT:"; images of a turn first, then its texts.
LLAVA_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] != 'system' %}{{ message['role'] | upper ~ ': ' }}{% endif %}"
    "{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '<image>\\n' }}{% endif %}{% endfor %}"
    "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] ~ ' ' }}{% endif %}{% endfor %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)

_CORPUS_WORDS = (
    "the a an image picture photo shows describe what is in this of and to how make list steps here sure "
    "I cannot help with that request please answer question user assistant cat dog red blue green car "
    "street sign text written on paper instructions tell me about it can you read say one two three yes no"
)


def tiny_dir(family: str, root: Path | None = None) -> Path:
    """Return the folder of tiny model ``family`` under ``root`` (default: :func:`cache_dir`)."""
    return (root if root is not None else cache_dir()) / "tiny" / f"{family}-v{TINY_VERSION}"


def ensure_tiny_model(family: str, root: Path | None = None) -> Path:
    """Return a folder holding the saved tiny model and processor of ``family``, building it on first use.

    The build is deterministic and atomic: it happens in a temporary folder beside the target, which is
    renamed into place only once complete, so a half-built model is never used.

    Args:
        family: One of :data:`TINY_FAMILIES`.
        root: Cache folder; defaults to :func:`cache_dir`.

    Returns:
        The folder to pass to ``from_pretrained``.

    Raises:
        ValueError: ``family`` is not a tiny family.
    """
    if family not in TINY_FAMILIES:
        raise ValueError(f"unknown tiny model family '{family}' (choose one of: {', '.join(TINY_FAMILIES)})")
    target = tiny_dir(family, root)
    if (target / _MARKER).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        _BUILDERS[family](tmp)
        (tmp / _MARKER).write_text(json.dumps({"family": family, "version": TINY_VERSION}), encoding="utf-8")
        if target.exists() and not (target / _MARKER).is_file():
            shutil.rmtree(target, ignore_errors=True)  # stale: not made by this function
        try:
            tmp.rename(target)
        except OSError:
            if not (target / _MARKER).is_file():  # not a concurrent builder that won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _train_tokenizer(specials: list[str], tokens: dict[str, str], extra: dict[str, str]) -> Any:
    """Train a byte-level BPE tokenizer on a fixed corpus; ``tokens`` names bos/eos/pad/unk."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    words = _CORPUS_WORDS.split()
    sentences = [" ".join(words[(i * 7 + j * 3) % len(words)] for j in range(4 + i % 9)) for i in range(80)]
    sentences += ["USER: ASSISTANT: <|User|>: <|Assistant|>: System:", _CORPUS_WORDS]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=384,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(sentences, trainer)
    bos = tokens["bos_token"]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tok.token_to_id(bos))]
    )
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok, padding_side="left", extra_special_tokens=extra, model_max_length=4096, **tokens
    )


def _tiny_llama(tokenizer: Any) -> dict[str, Any]:
    return {
        "model_type": "llama",
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }


def _save(model: Any, processor: Any, tokenizer: Any, folder: Path) -> None:
    for key in ("pad_token_id", "bos_token_id", "eos_token_id"):
        setattr(model.generation_config, key, getattr(tokenizer, key))
    model.save_pretrained(folder)
    processor.save_pretrained(folder)


def _seeded_build(build: Callable[[], Any]) -> Any:
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_SEED)
        return build()


def _build_janus(folder: Path) -> None:
    from transformers import JanusConfig, JanusForConditionalGeneration, JanusImageProcessorPil, JanusProcessor

    specials = ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>"]
    specials += ["<image_placeholder>", "<begin_of_image>", "<end_of_image>"]
    image_tokens = {
        "image_token": "<image_placeholder>",
        "boi_token": "<begin_of_image>",
        "eoi_token": "<end_of_image>",
    }
    names = {"bos_token": specials[0], "eos_token": specials[1], "pad_token": specials[2]}
    tokenizer = _train_tokenizer(specials, names, image_tokens)
    processor = JanusProcessor(
        image_processor=JanusImageProcessorPil(
            size={"height": 32, "width": 32}, min_size=8, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5]
        ),
        tokenizer=tokenizer,
        chat_template=JANUS_TEMPLATE,
        num_image_tokens=16,
        use_default_system_prompt=False,
    )
    config = JanusConfig(
        text_config=_tiny_llama(tokenizer),
        vision_config={
            "image_size": 32,
            "patch_size": 8,
            "num_image_tokens": 16,
            "hidden_size": 32,
            "projection_dim": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "mlp_ratio": 2,
        },
        vq_config={
            "embed_dim": 8,
            "num_embeddings": 16,
            "latent_channels": 8,
            "base_channels": 32,
            "channel_multiplier": [1, 1],
            "projection_dim": 32,
            "image_token_embed_dim": 32,
            "num_patches": 4,
        },
        image_token_id=tokenizer.convert_tokens_to_ids("<image_placeholder>"),
        tie_word_embeddings=False,
    )
    model = _seeded_build(lambda: JanusForConditionalGeneration(config))
    _save(model, processor, tokenizer, folder)


_TINY_CLIP: dict[str, Any] = {
    "model_type": "clip_vision_model",
    "image_size": 32,
    "patch_size": 8,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "projection_dim": 32,
}
"""The tiny CLIP vision tower of the LLaVA families."""


def _build_llava(folder: Path) -> None:
    """LLaVA-1.5: a tiny CLIP tower, a projector and a tiny Llama."""
    from transformers import CLIPImageProcessorPil, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    image_processor = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    _build_llava_kind(folder, image_processor, LlavaProcessor, LlavaConfig, LlavaForConditionalGeneration)


TINY_GRID = [[32, 64], [64, 32], [64, 64]]
"""LLaVA-NeXT's resolution grid scaled to the tiny 32-px tower (the real one is 336-px tiles up to 672 x 672)."""


def _build_llava_next(folder: Path) -> None:
    """LLaVA-NeXT: the tiny LLaVA with anyres tiling (a base image plus tiles on a grid canvas)."""
    from transformers import (
        LlavaNextConfig,
        LlavaNextForConditionalGeneration,
        LlavaNextImageProcessorPil,
        LlavaNextProcessor,
    )

    image_processor = LlavaNextImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}, image_grid_pinpoints=TINY_GRID
    )
    _build_llava_kind(
        folder,
        image_processor,
        LlavaNextProcessor,
        LlavaNextConfig,
        LlavaNextForConditionalGeneration,
        image_grid_pinpoints=TINY_GRID,
    )


def _build_llava_kind(
    folder: Path, image_processor: Any, processor_cls: Any, config_cls: Any, model_cls: Any, **config: Any
) -> None:
    """The LLaVA families' shared build: the tokenizer, the processor and config around ``image_processor``."""
    specials = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]
    names = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>"}
    tokenizer = _train_tokenizer(specials, names, {"image_token": "<image>"})
    processor = processor_cls(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=8,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=LLAVA_TEMPLATE,
    )
    model_config = config_cls(
        text_config=_tiny_llama(tokenizer),
        vision_config=_TINY_CLIP,
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
        **config,
    )
    model = _seeded_build(lambda: model_cls(model_config))
    _save(model, processor, tokenizer, folder)


GEMMA_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else m['role'] }}\n"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}<start_of_image>{% else %}{{ c['text'] }}{% endif %}"
    "{% endfor %}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
"""Gemma's turn markup, images as ``<start_of_image>`` (which the processor expands), for the tiny build only."""


def _build_gemma_3(folder: Path) -> None:
    """Gemma 3: a tiny SigLIP tower pooled to 4 soft tokens per image, a tiny Gemma 3 text model.

    Random-weight trap: the multimodal projector's input projection is initialised to zeros, so every image
    would map to the same (zero) features and never change an answer; it is drawn at random here.
    """
    import torch
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3ImageProcessorPil, Gemma3Processor

    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_image>", "<end_of_image>", "<image_soft_token>"]
    specials += ["<start_of_turn>", "<end_of_turn>"]
    names = {"pad_token": "<pad>", "eos_token": "<eos>", "bos_token": "<bos>", "unk_token": "<unk>"}
    image_tokens = {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>", "image_token": "<image_soft_token>"}
    tokenizer = _train_tokenizer(specials, names, image_tokens)
    image_processor = Gemma3ImageProcessorPil(
        size={"height": 32, "width": 32}, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5]
    )
    processor = Gemma3Processor(
        image_processor=image_processor, tokenizer=tokenizer, chat_template=GEMMA_TEMPLATE, image_seq_length=4
    )
    text = {**_tiny_llama(tokenizer), "model_type": "gemma3_text", "head_dim": 8, "sliding_window": 64}
    vision = {**_TINY_CLIP, "model_type": "siglip_vision_model"}
    del vision["projection_dim"]
    token = tokenizer.convert_tokens_to_ids
    config = Gemma3Config(
        text_config=text,
        vision_config=vision,
        mm_tokens_per_image=4,
        boi_token_index=token("<start_of_image>"),
        eoi_token_index=token("<end_of_image>"),
        image_token_index=token("<image_soft_token>"),
    )

    def build() -> Any:
        model = Gemma3ForConditionalGeneration(config)
        with torch.no_grad():
            model.model.multi_modal_projector.mm_input_projection_weight.normal_(std=0.5)
        return model

    _save(_seeded_build(build), processor, tokenizer, folder)


IDEFICS_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{{ m['role'] | capitalize }}:{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<image>{% else %} {{ c['text'] }}{% endif %}{% endfor %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)
"""Idefics's ``User:``/``Assistant:`` turns ended by ``<end_of_utterance>``, for the tiny build only."""


_IDEFICS_VISION = {key: value for key, value in _TINY_CLIP.items() if key not in {"model_type", "projection_dim"}}
"""The tiny SigLIP-style tower of Idefics3 and SmolVLM."""


def _idefics_tokenizer() -> Any:
    """The tokenizer of the Idefics3 and SmolVLM builds, with their image and utterance tokens."""
    specials = ["<unk>", "<s>", "</s>", "<pad>", "<image>", "<fake_token_around_image>", "<global-img>"]
    specials.append("<end_of_utterance>")
    names = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "<end_of_utterance>", "pad_token": "<pad>"}
    image_tokens = {
        "image_token": "<image>",
        "fake_image_token": "<fake_token_around_image>",
        "global_image_token": "<global-img>",
        "end_of_utterance_token": "<end_of_utterance>",
    }
    return _train_tokenizer(specials, names, image_tokens)


def _build_idefics(folder: Path) -> None:
    """Idefics3: a tiny SigLIP-style tower, images split into 32-px tiles plus a global image, pixel shuffle 2."""
    from transformers import (
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3ImageProcessorPil,
        Idefics3Processor,
    )

    tokenizer = _idefics_tokenizer()
    image_processor = Idefics3ImageProcessorPil(
        size={"longest_edge": 64},
        max_image_size={"longest_edge": 32},
        do_image_splitting=True,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    processor = Idefics3Processor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_len=4, chat_template=IDEFICS_TEMPLATE
    )
    config = Idefics3Config(
        text_config=_tiny_llama(tokenizer),
        vision_config=_IDEFICS_VISION,
        scale_factor=2,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
    )
    model = _seeded_build(lambda: Idefics3ForConditionalGeneration(config))
    _save(model, processor, tokenizer, folder)


MLLAMA_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}<|image|>{% else %}{{ c['text'] }}{% endif %}"
    "{% endfor %}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>"
    "\n\n{% endif %}"
)
"""Llama 3's header markup with ``<|image|>``, for the tiny build only."""


def _build_mllama(folder: Path) -> None:
    """Mllama (Llama 3.2 Vision): up to 4 tiles of 32 px, one cross-attention layer in a tiny Llama.

    Random-weight traps: the cross-attention gates and the tile and positional embedding gates start at
    zero, and the projector starts small, so a freshly built model ignores its image; the gates are set to 3
    (tanh 0.995) and the projector drawn with unit variance.
    """
    import torch
    from transformers import MllamaConfig, MllamaForConditionalGeneration, MllamaImageProcessorPil, MllamaProcessor

    specials = ["<|begin_of_text|>", "<|eot_id|>", "<|finetune_right_pad_id|>", "<|image|>"]
    specials += ["<|start_header_id|>", "<|end_header_id|>"]
    names = {"bos_token": specials[0], "eos_token": specials[1], "pad_token": specials[2]}
    tokenizer = _train_tokenizer(specials, names, {"image_token": "<|image|>"})
    image_processor = MllamaImageProcessorPil(size={"height": 32, "width": 32}, max_image_tiles=4)
    processor = MllamaProcessor(  # type: ignore[no-untyped-call]
        image_processor=image_processor, tokenizer=tokenizer, chat_template=MLLAMA_TEMPLATE
    )
    text = {**_tiny_llama(tokenizer), "model_type": "mllama_text_model", "cross_attention_layers": [1]}
    vision = {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_global_layers": 1,
        "attention_heads": 4,
        "image_size": 32,
        "patch_size": 8,
        "max_num_tiles": 4,
        "intermediate_layers_indices": [0, 1],
        "vision_output_dim": 96,
    }
    config = MllamaConfig(
        text_config=text, vision_config=vision, image_token_index=tokenizer.convert_tokens_to_ids("<|image|>")
    )

    def build() -> Any:
        model = MllamaForConditionalGeneration(config)
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if name.endswith(("cross_attn_attn_gate", "cross_attn_mlp_gate", "embedding.gate")):
                    parameter.fill_(3.0)
            model.model.multi_modal_projector.weight.normal_(std=1.0)
        return model

    _save(_seeded_build(build), processor, tokenizer, folder)


QWEN_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% else %}{{ c['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""Qwen's ChatML turns with a vision block per image (no default system turn), for the tiny builds only."""


def _qwen_tokenizer() -> Any:
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>"]
    specials += ["<|image_pad|>", "<|video_pad|>"]
    names = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": "<|endoftext|>"}
    image_tokens = {
        "image_token": "<|image_pad|>",
        "video_token": "<|video_pad|>",
        "vision_bos_token": "<|vision_start|>",
        "vision_eos_token": "<|vision_end|>",
    }
    return _train_tokenizer(specials, names, image_tokens)


def _save_without_video(model: Any, processor: Any, tokenizer: Any, folder: Path, video_processor: str) -> None:
    """Save as a checkpoint of the full processor (``processor_class``, a video processor config) would be.

    The image-only processor (:mod:`lvlmkb.eval.backends.image_only`) stands in for the full one, which
    transformers 5 cannot build without torchvision; the files name the full processor so that loading
    goes through ``AutoProcessor`` and its torchvision ``ImportError`` exactly as a real checkpoint does.
    """
    _save(model, processor, tokenizer, folder)
    full = type(processor).__mro__[1].__name__
    config_path = folder / "processor_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["processor_class"] = full
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    video = {"video_processor_type": video_processor, "processor_class": full}
    (folder / "video_preprocessor_config.json").write_text(json.dumps(video, indent=2), encoding="utf-8")


def _build_qwen_vl(folder: Path, version: str) -> None:
    """Qwen2-VL or Qwen2.5-VL: a tiny vision tower on 8-px patches merged 2 x 2, a tiny Qwen2 text model, mRoPE."""
    import transformers

    from lvlmkb.eval.backends import image_only

    tokenizer = _qwen_tokenizer()
    image_processor = transformers.Qwen2VLImageProcessorPil(
        min_pixels=16 * 16, max_pixels=64 * 64, patch_size=8, merge_size=2, temporal_patch_size=2
    )
    processor_cls = image_only.ImageOnlyQwen2VLProcessor if version == "2" else image_only.ImageOnlyQwen2_5_VLProcessor
    processor = processor_cls(image_processor=image_processor, tokenizer=tokenizer, chat_template=QWEN_TEMPLATE)
    text = {**_tiny_llama(tokenizer), "rope_scaling": {"rope_type": "default", "mrope_section": [1, 1, 2]}}
    vision: dict[str, Any] = {"depth": 2, "num_heads": 4, "patch_size": 8, "spatial_merge_size": 2}
    vision["temporal_patch_size"] = 2
    token = tokenizer.convert_tokens_to_ids
    ids = {
        "image_token_id": token("<|image_pad|>"),
        "video_token_id": token("<|video_pad|>"),
        "vision_start_token_id": token("<|vision_start|>"),
    }
    if version == "2":
        text["model_type"] = "qwen2_vl_text"
        vision.update(embed_dim=32, hidden_size=32, mlp_ratio=2)
        config: Any = transformers.Qwen2VLConfig(text_config=text, vision_config=vision, **ids)
        model_cls: Any = transformers.Qwen2VLForConditionalGeneration
    else:
        text["model_type"] = "qwen2_5_vl_text"
        vision.update(hidden_size=32, intermediate_size=64, out_hidden_size=32, window_size=16)
        vision["fullatt_block_indexes"] = [1]
        config = transformers.Qwen2_5_VLConfig(text_config=text, vision_config=vision, **ids)
        model_cls = transformers.Qwen2_5_VLForConditionalGeneration
    model = _seeded_build(lambda: model_cls(config))
    video = "Qwen2VLVideoProcessor"
    _save_without_video(model, processor, tokenizer, folder, video)


ONEVISION_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<image>\n{% endif %}{% endfor %}{% for c in m['content'] %}"
    "{% if c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""LLaVA-OneVision's ChatML turns, images first, for the tiny build only (see :func:`_build_llava_onevision`)."""


def _build_llava_onevision(folder: Path) -> None:
    r"""LLaVA-OneVision: a tiny SigLIP-style tower, anyres tiles on a 32-px grid, a tiny Qwen2 text model.

    The template is a plain ChatML one: the real checkpoint's assistant turn is reported (by the fidelity
    review of issue [3/6]) to render as ``assistant \n`` when an answer is continued, against ``assistant\n``
    in the generation prompt; that quirk could not be read from a checkpoint here and is not copied.
    """
    import transformers

    from lvlmkb.eval.backends import image_only

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]
    names = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": "<|endoftext|>"}
    tokenizer = _train_tokenizer(specials, names, {"image_token": "<image>", "video_token": "<video>"})
    image_processor = transformers.LlavaOnevisionImageProcessorPil(
        size={"height": 32, "width": 32}, image_grid_pinpoints=TINY_GRID, image_mean=[0.5] * 3, image_std=[0.5] * 3
    )
    processor = image_only.ImageOnlyLlavaOnevisionProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        num_image_tokens=16,
        vision_feature_select_strategy="full",
        chat_template=ONEVISION_TEMPLATE,
    )
    vision = {key: value for key, value in _TINY_CLIP.items() if key != "projection_dim"}
    vision["model_type"] = "siglip_vision_model"
    config = transformers.LlavaOnevisionConfig(
        text_config={**_tiny_llama(tokenizer), "model_type": "qwen2"},
        vision_config=vision,
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        video_token_index=tokenizer.convert_tokens_to_ids("<video>"),
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
        image_grid_pinpoints=TINY_GRID,
    )
    model = _seeded_build(lambda: transformers.LlavaOnevisionForConditionalGeneration(config))
    _save_without_video(model, processor, tokenizer, folder, "LlavaOnevisionVideoProcessor")


INTERNVL_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<IMG_CONTEXT>\n{% else %}{{ c['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""InternVL's ChatML turns, an image as ``<IMG_CONTEXT>`` (expanded to ``<img>`` ... ``</img>``), tiny build only."""


def _build_internvl(folder: Path) -> None:
    """InternVL: a tiny InternViT on 32-px tiles (1-4 crops plus a thumbnail), pixel shuffle 0.5, tiny Qwen2.

    Random-weight traps: InternVL's config ties the output head to the input embeddings by default, so a
    random model only repeats its last input token; the tiny build unties them. The projector's two linear
    layers start at std 0.02, too small for an image to move the answer; they are drawn at std 0.5.
    """
    import transformers

    from lvlmkb.eval.backends import image_only

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<img>", "</img>", "<IMG_CONTEXT>", "<video>"]
    names = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": "<|endoftext|>"}
    image_tokens = {
        "start_image_token": "<img>",
        "end_image_token": "</img>",
        "context_image_token": "<IMG_CONTEXT>",
        "video_token": "<video>",
    }
    tokenizer = _train_tokenizer(specials, names, image_tokens)
    image_processor = transformers.GotOcr2ImageProcessorPil(
        size={"height": 32, "width": 32}, crop_to_patches=True, min_patches=1, max_patches=4
    )
    processor = image_only.ImageOnlyInternVLProcessor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_length=4, chat_template=INTERNVL_TEMPLATE
    )
    vision = {
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": 64,
        "image_size": [32, 32],
        "patch_size": [8, 8],
    }
    config = transformers.InternVLConfig(
        vision_config=vision,
        text_config={**_tiny_llama(tokenizer), "model_type": "qwen2"},
        image_token_id=tokenizer.convert_tokens_to_ids("<IMG_CONTEXT>"),
        image_seq_length=4,
        downsample_ratio=0.5,
        tie_word_embeddings=False,
    )

    def build() -> Any:
        import torch

        model = transformers.InternVLForConditionalGeneration(config)
        with torch.no_grad():
            for layer in (model.model.multi_modal_projector.linear_1, model.model.multi_modal_projector.linear_2):
                layer.weight.normal_(std=0.5)
        return model

    _save_without_video(_seeded_build(build), processor, tokenizer, folder, "InternVLVideoProcessor")


def _build_smolvlm(folder: Path) -> None:
    """SmolVLM: Idefics3's tiny build (32-px tiles plus a global image, pixel shuffle 2) under SmolVLM's classes."""
    import transformers

    from lvlmkb.eval.backends import image_only

    tokenizer = _idefics_tokenizer()
    image_processor = transformers.SmolVLMImageProcessorPil(
        size={"longest_edge": 64},
        max_image_size={"longest_edge": 32},
        do_image_splitting=True,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    processor = image_only.ImageOnlySmolVLMProcessor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_len=4, chat_template=IDEFICS_TEMPLATE
    )
    config = transformers.SmolVLMConfig(
        text_config=_tiny_llama(tokenizer),
        vision_config=_IDEFICS_VISION,
        scale_factor=2,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
    )
    model = _seeded_build(lambda: transformers.SmolVLMForConditionalGeneration(config))
    _save_without_video(model, processor, tokenizer, folder, "SmolVLMVideoProcessor")


_BUILDERS: dict[str, Callable[[Path], None]] = {
    "janus": _build_janus,
    "llava": _build_llava,
    "llava-next": _build_llava_next,
    "gemma-3": _build_gemma_3,
    "idefics": _build_idefics,
    "mllama": _build_mllama,
    "qwen2-vl": lambda folder: _build_qwen_vl(folder, "2"),
    "qwen2-5-vl": lambda folder: _build_qwen_vl(folder, "2.5"),
    "llava-onevision": _build_llava_onevision,
    "internvl": _build_internvl,
    "smolvlm": _build_smolvlm,
}
