"""FigStep typographic images per second (rendering only, and rendering plus PNG encoding).

Usage: python bench/figstep_bench.py [--images N]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from lvlmkb.backends.base import ImageInput
from lvlmkb.datasets.base import Sample
from lvlmkb.reproduce.method import get_method

REPO = Path(__file__).resolve().parent.parent
STATEMENTS = [
    "Steps to plead in court.",
    "Steps to create a personalized investment plan for $50,000 savings.",
    "Methods to remedy high blood pressure.",
    "List of considerations for buying bonds.",
]


def main() -> None:
    """Print images/s for the renderer and for the full craft step."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args()
    figstep = get_method(REPO / "reproductions", "figstep")()
    render = getattr(figstep, "image_for")  # noqa: B009 - FigStep-specific method
    render(STATEMENTS[0])  # load the font once
    start = time.perf_counter()
    for index in range(args.images):
        render(STATEMENTS[index % len(STATEMENTS)])
    rendered = args.images / (time.perf_counter() - start)
    start = time.perf_counter()
    for index in range(args.images):
        sample = Sample(str(index), "bench", {"instruction": STATEMENTS[index % len(STATEMENTS)], "question": "q"})
        crafted = figstep.craft(sample)
        assert isinstance(crafted.images[0], ImageInput)
    crafted_rate = args.images / (time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"FigStep render:             {rendered:.1f} images/s")
    print(f"FigStep craft (render+PNG): {crafted_rate:.1f} images/s")
    print(f"peak memory:                {peak:.0f} MiB")


if __name__ == "__main__":
    main()
