"""Wall time of ``HFBackend.generate`` against raw ``model.generate`` on the same batches (tiny Janus, CPU).

Usage: python bench/backend_overhead.py [--batch 4] [--new-tokens 16] [--repeat 7]
Prints the median time of each and their ratio (target: <= 1.1). The raw figure is ``model.generate`` on
inputs rendered once beforehand; the "hand-written" figure adds what a script written without the backend
also does (chat template, image processing, decoding), which is the work the backend does per call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from PIL import Image

from lvlmkb.backends.base import GenerationSettings, ImageInput, single_turn
from lvlmkb.backends.hf import HFBackend
from lvlmkb.backends.hf_inputs import to_chat


def interleaved_medians(repeat: int, actions: list[Callable[[], object]]) -> list[float]:
    """Median wall time of each action over ``repeat`` rounds; each round runs every action once, in turn.

    Interleaving spreads drift in machine load evenly over the actions; one warm-up round comes first.
    """
    times: list[list[float]] = [[] for _ in actions]
    for round_ in range(repeat + 1):
        for index, action in enumerate(actions):
            start = time.perf_counter()
            action()
            if round_:
                times[index].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (tiny models only lose from more)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    os.environ["LVLMKB_CACHE"] = os.environ.get("LVLMKB_CACHE") or str(Path(tempfile.gettempdir()) / "lvlmkb-bench")
    backend = HFBackend("lvlmkb-tiny/janus", device="cpu")
    model, processor = backend.model, backend.processor
    settings = GenerationSettings(max_new_tokens=args.new_tokens)
    images = [
        ImageInput.from_pil(Image.new("RGB", (40 + 9 * i, 30 + 7 * i), (60 * i, 90, 200))) for i in range(args.batch)
    ]
    requests = [single_turn("describe " * (1 + 2 * i) + "this image", [images[i]], settings) for i in range(args.batch)]
    inputs = backend.render(requests)
    gen_kwargs = {"max_new_tokens": args.new_tokens, "do_sample": False, "generation_mode": "text"}

    def raw() -> object:
        with torch.inference_mode():
            return model.generate(**inputs, **gen_kwargs)

    def by_hand() -> object:
        batch = processor.apply_chat_template(
            [to_chat(r.messages) for r in requests],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            processor_kwargs={"padding": True},
        )
        with torch.inference_mode():
            out = model.generate(**batch, **gen_kwargs)
        return processor.batch_decode(out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)

    def via_backend() -> object:
        return backend.generate(requests)

    t_raw, t_hand, t_backend = interleaved_medians(args.repeat, [raw, by_hand, via_backend])
    print(
        f"tiny Janus, batch {args.batch}, {args.new_tokens} new tokens, greedy, {args.threads} torch thread(s), "
        f"median of {args.repeat} interleaved warm runs"
    )
    print(f"raw model.generate (inputs pre-rendered): {t_raw * 1000:8.1f} ms")
    print(f"hand-written template+generate+decode:    {t_hand * 1000:8.1f} ms")
    print(f"HFBackend.generate:                       {t_backend * 1000:8.1f} ms")
    print(f"ratio backend/raw:  {t_backend / t_raw:.3f}  (target <= 1.1)")
    print(f"ratio backend/hand: {t_backend / t_hand:.3f}")


if __name__ == "__main__":
    main()
