"""Generation throughput of HFBackend on a random model shaped like Janus-Pro-7B (GPU only, no download).

Usage: python bench/gpu_janus_bench.py [--batches 1 8 32] [--new-tokens 64] [--repeat 3]
       python bench/gpu_janus_bench.py --smoke   # a tiny model of the same layout on CPU, to test the script

Builds the model from a config (Llama 4096 hidden x 30 layers x 32 heads, vocab 102400; SigLIP-L vision at
384 px, 576 image tokens; the VQ part as in transformers' JanusVQVAEConfig defaults) in bfloat16 on CUDA, with
the tiny test tokenizer. Each sample is one 384x384 image and a short prompt; end-of-sequence is disabled so
every sample generates exactly --new-tokens tokens. Prints samples/s and tokens/s per batch size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# name -> (text, vision, vq) config overrides; "7b" is Janus-Pro-7B's shape, "smoke" a small stand-in.
SHAPES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "7b": (
        {"hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 30, "num_attention_heads": 32},
        {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "mlp_ratio": 4.0},
        {},
    ),
    "smoke": (
        {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4},
        {"hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4, "mlp_ratio": 2.0},
        {"base_channels": 32, "channel_multiplier": [1, 1], "latent_channels": 8, "num_embeddings": 64},
    ),
}


def build(shape: str, device: str, dtype: Any) -> Any:
    """Return an HFBackend around a random Janus model of ``shape``, with a 384 px processor."""
    import torch
    import transformers

    from lvlmkb.eval.backends.hf import HFBackend
    from lvlmkb.eval.backends.tiny import ensure_tiny_model

    processor = transformers.AutoProcessor.from_pretrained(ensure_tiny_model("janus"))  # type: ignore[no-untyped-call]
    processor.image_processor.size = {"height": 384, "width": 384}
    processor.num_image_tokens = 576
    tokenizer = processor.tokenizer
    text, vision, vq = SHAPES[shape]
    hidden = text["hidden_size"]
    config = transformers.JanusConfig(
        text_config={
            "model_type": "llama",
            "vocab_size": 102400,
            "num_key_value_heads": text["num_attention_heads"],
            "max_position_embeddings": 16384,
            "pad_token_id": tokenizer.pad_token_id,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            **text,
        },
        vision_config={
            "image_size": 384,
            "patch_size": 16,
            "num_image_tokens": 576,
            "projection_dim": hidden,
            **vision,
        },
        vq_config={"num_patches": 24, "projection_dim": hidden, "image_token_embed_dim": hidden, **vq},
        image_token_id=tokenizer.convert_tokens_to_ids("<image_placeholder>"),
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = transformers.JanusForConditionalGeneration._from_config(config, dtype=dtype)  # type: ignore[no-untyped-call]
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = None  # random weights: generate exactly max_new_tokens
    return HFBackend.from_objects(model, processor, checkpoint=f"random Janus-Pro-{shape} shape")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny model on CPU, only to test this script")
    args = parser.parse_args()

    import torch

    if not args.smoke and not torch.cuda.is_available():
        print("gpu_janus_bench: no CUDA device found; this benchmark needs a GPU (nothing was run).", file=sys.stderr)
        return 0
    from PIL import Image

    from lvlmkb.eval.backends.base import GenerationSettings, ImageInput, single_turn

    device, dtype = ("cpu", torch.float32) if args.smoke else ("cuda", torch.bfloat16)
    start = time.perf_counter()
    backend = build("smoke" if args.smoke else "7b", device, dtype)
    params = sum(p.numel() for p in backend.model.parameters()) / 1e9
    print(f"built {params:.2f}B parameters on {device} ({dtype}) in {time.perf_counter() - start:.1f} s")
    if device == "cuda":
        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")

    settings = GenerationSettings(max_new_tokens=args.new_tokens)
    prompt = "Describe this image in one paragraph."
    for batch in args.batches:
        images = [ImageInput.from_pil(Image.new("RGB", (384, 384), (i * 7 % 256, 80, 160))) for i in range(batch)]
        requests = [single_turn(prompt, [image], settings) for image in images]
        backend.generate(requests)  # warm-up
        times = []
        for _ in range(args.repeat):
            if device == "cuda":
                torch.cuda.synchronize()
            tick = time.perf_counter()
            out = backend.generate(requests)
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - tick)
        assert all(len(r.token_ids) == args.new_tokens for r in out), "a sample stopped early"
        wall = statistics.median(times)
        print(
            f"batch {batch:3d}: {wall:7.2f} s/batch  {batch / wall:8.2f} samples/s  "
            f"{batch * args.new_tokens / wall:9.1f} new tokens/s"
        )
    if device == "cuda":
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
