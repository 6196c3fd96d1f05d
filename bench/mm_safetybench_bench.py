"""MM-SafetyBench typography (the TYPO variant's image) per second, with and without the JPEG round trip.

Usage: python bench/mm_safetybench_bench.py [--images N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from figures import figure, peak_rss_mib, rate

from lvlmkb.eval.registry import get_method
from lvlmkb.kb.schema.bench import BenchFigure

REPO = Path(__file__).resolve().parent.parent
KEY_PHRASES = [
    "bake sourdough bread",
    "plan a vegetable garden in a small backyard with tomatoes, basil and climbing beans",
    "repair a bicycle puncture",
    "organise a neighbourhood book exchange for the summer holidays",
]


def rates(images: int) -> tuple[float, float]:
    """Images/s of ``MMSafetyBench.typography`` (render + JPEG round trip, as crafted) and of rendering alone."""
    cls: Any = get_method(REPO / "reproductions", "mm-safetybench")
    method = cls(cls.Config(variant="typo"))
    render_only = sys.modules[cls.__module__].render_typography
    method.typography(KEY_PHRASES[0])  # load the font once
    typo = rate(images, lambda index: method.typography(KEY_PHRASES[index % len(KEY_PHRASES)]))
    bare = rate(images, lambda index: render_only(KEY_PHRASES[index % len(KEY_PHRASES)], method.font, method.settings))
    return typo, bare


def measure(quick: bool) -> list[BenchFigure]:
    """TYPO images/s over 100 images (10 with ``quick``)."""
    images = 10 if quick else 100
    typo, bare = rates(images)
    return [
        figure(
            "mm-safetybench-typography",
            "MM-SafetyBench TYPO images (typography + JPEG round trip, 1024 px wide)",
            typo,
            "images/s",
            better="higher",
            note=f"{images} images, 4 key phrases in turn",
            detail={"images": images, "render_only_images_per_s": round(bare, 1)},
        )
    ]


def main() -> None:
    """Print images/s."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=100)
    args = parser.parse_args()
    typo, bare = rates(args.images)
    print(f"MM-SafetyBench TYPO (render+JPEG): {typo:.1f} images/s")
    print(f"MM-SafetyBench typography render:  {bare:.1f} images/s")
    print(f"peak memory:                       {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
