"""Wall time of ``HFBackend.generate`` against raw ``model.generate`` on the same batches (tiny models, CPU).

Usage: python bench/backend_overhead.py [--family janus|llava] [--batch 4] [--new-tokens 16] [--repeat 30]
Prints the median time of each and their ratio (target: <= 1.1). The raw figure is ``model.generate`` on
the inputs the backend itself renders for the same requests, rendered beforehand, with the keyword
arguments the backend passes (``HFBackend.generate_kwargs``); both give the same tokens, which is checked.
The "hand-written" figure adds what a script written without the backend also does (chat template, image
processing, decoding). Every timed round uses images not seen before, so no cache could flatter the backend.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from figures import figure, interleaved_medians
from PIL import Image

from lvlmkb.eval.backends.base import GenerationRequest, GenerationSettings, ImageInput, single_turn
from lvlmkb.eval.backends.hf import HFBackend
from lvlmkb.eval.backends.hf_inputs import eos_set, to_chat, trim_generated
from lvlmkb.kb.schema.bench import BenchFigure

TARGET = 1.1
NAMES = {"janus": "Janus", "llava": "LLaVA"}
ACTIONS = ("raw", "hand", "backend", "render")


@dataclass(frozen=True)
class Comparison:
    """Median wall and CPU seconds per action and the settings they ran with.

    The actions: raw ``model.generate``, the hand-written pipeline, ``HFBackend.generate``, and the backend's
    input rendering alone (``HFBackend.render``: chat template, image decoding and processing, tokenising).
    """

    family: str
    batch: int
    new_tokens: int
    repeat: int
    threads: int
    wall: dict[str, float]
    cpu: dict[str, float]

    def ratio(self, action: str = "backend", clock: str = "wall") -> float:
        """``action``'s median over raw ``model.generate``'s."""
        times = self.wall if clock == "wall" else self.cpu
        return times[action] / times["raw"]


def make_rounds(rounds: int, batch: int, new_tokens: int) -> list[list[GenerationRequest]]:
    """``rounds`` batches of ``batch`` single-image requests; no image appears twice."""
    settings = GenerationSettings(max_new_tokens=new_tokens)
    batches = []
    for round_ in range(rounds):
        images = [
            Image.new("RGB", (40 + 9 * i, 30 + 7 * i), ((60 * i + round_) % 256, (90 + 7 * round_) % 256, 200))
            for i in range(batch)
        ]
        texts = ["describe " * (1 + 2 * i) + "this image" for i in range(batch)]
        batches.append(
            [single_turn(t, [ImageInput.from_pil(im)], settings) for t, im in zip(texts, images, strict=True)]
        )
    return batches


def compare(family: str, batch: int = 4, new_tokens: int = 16, repeat: int = 30, threads: int = 1) -> Comparison:
    """Time raw ``model.generate``, a hand-written pipeline and ``HFBackend.generate`` in interleaved rounds."""
    torch.set_num_threads(threads)
    os.environ["LVLMKB_CACHE"] = os.environ.get("LVLMKB_CACHE") or str(Path(tempfile.gettempdir()) / "lvlmkb-bench")
    backend = HFBackend(f"lvlmkb-tiny/{family}", device="cpu")
    model, processor = backend.model, backend.processor
    rounds = make_rounds(repeat + 1, batch, new_tokens)
    kwargs = backend.generate_kwargs(rounds[0][0].settings)
    rendered = [backend.render(requests) for requests in rounds]

    def raw(round_: int) -> Any:
        with torch.inference_mode():
            return model.generate(**rendered[round_], **kwargs)

    def by_hand(round_: int) -> object:
        inputs = processor.apply_chat_template(
            [to_chat(r.messages) for r in rounds[round_]],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            processor_kwargs={"padding": True, "padding_side": "left"},
        )
        with torch.inference_mode():
            out = model.generate(**inputs, **kwargs)
        return processor.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)

    _check_same_tokens(backend, rounds[0], raw(0), rendered[0]["input_ids"].shape[1])
    actions = [raw, by_hand, lambda r: backend.generate(rounds[r]), lambda r: backend.render(rounds[r])]
    wall, cpu = interleaved_medians(repeat, actions)
    medians = [dict(zip(ACTIONS, times, strict=True)) for times in (wall, cpu)]
    return Comparison(family, batch, new_tokens, repeat, threads, *medians)


def _check_same_tokens(backend: HFBackend, requests: list[GenerationRequest], raw_out: Any, prompt_len: int) -> None:
    eos = eos_set(backend.model.generation_config.eos_token_id)
    expected = [trim_generated(row, eos) for row in raw_out[:, prompt_len:].tolist()]
    if [r.token_ids for r in backend.generate(requests)] != expected:
        raise RuntimeError("HFBackend.generate and raw model.generate gave different tokens: not a fair comparison")


def measure(quick: bool) -> list[BenchFigure]:
    """Backend/raw ratio on tiny Janus and tiny LLaVA (batch 4, 16 new tokens, 1 thread; 30 rounds, 3 quick)."""
    repeat = 3 if quick else 30
    return [_figure(compare(family, repeat=repeat)) for family in ("janus", "llava")]


def _figure(c: Comparison) -> BenchFigure:
    return figure(
        f"backend-overhead-{c.family}",
        f"HFBackend.generate / raw model.generate, tiny {NAMES[c.family]}",
        c.ratio(),
        "×",
        target=TARGET,
        note=f"batch {c.batch}, {c.new_tokens} new tokens, greedy, {c.threads} thread, median of {c.repeat} rounds",
        detail={
            **{f"{action}_ms": round(1000 * seconds, 2) for action, seconds in c.wall.items()},
            "cpu_ratio": round(c.ratio(clock="cpu"), 3),
            "hand_written_ratio": round(c.ratio("hand"), 3),
            "backend_over_hand_written": round(c.wall["backend"] / c.wall["hand"], 3),
            "render_share_of_overhead": round(c.wall["render"] / (c.wall["backend"] - c.wall["raw"]), 2),
        },
    )


def main() -> None:
    """Print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--family", choices=("janus", "llava"), default="janus")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (tiny models only lose from more)")
    args = parser.parse_args()
    c = compare(args.family, args.batch, args.new_tokens, args.repeat, args.threads)
    print(
        f"tiny {args.family}, batch {c.batch}, {c.new_tokens} new tokens, greedy, {c.threads} torch thread(s), "
        f"median of {c.repeat} interleaved warm rounds (wall; CPU in brackets)"
    )
    for action, text in zip(
        ACTIONS,
        (
            "raw model.generate (pre-rendered)",
            "hand-written template+generate+decode",
            "HFBackend.generate",
            "HFBackend.render alone",
        ),
        strict=True,
    ):
        print(f"{text:40s} {c.wall[action] * 1000:8.1f} ms  ({c.cpu[action] * 1000:.1f} ms)")
    print(f"ratio backend/raw:  {c.ratio():.3f}  (CPU {c.ratio(clock='cpu'):.3f}; target <= {TARGET})")
    print(f"ratio backend/hand: {c.wall['backend'] / c.wall['hand']:.3f}")


if __name__ == "__main__":
    main()
