"""FigStep typographic images per second (rendering only, and rendering plus PNG encoding).

Usage: python bench/figstep_bench.py [--images N]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from figures import figure, peak_rss_mib, rate

from lvlmkb.eval.backends.base import ImageInput
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.registry import get_method
from lvlmkb.kb.schema.bench import BenchFigure

REPO = Path(__file__).resolve().parent.parent
STATEMENTS = [
    "Steps to plead in court.",
    "Steps to create a personalized investment plan for $50,000 savings.",
    "Methods to remedy high blood pressure.",
    "List of considerations for buying bonds.",
]


def rates(images: int) -> tuple[float, float]:
    """Images/s of the renderer (``FigStep.image_for``) and of the full craft step (render + PNG)."""
    figstep: Any = get_method(REPO / "reproductions", "figstep")()
    figstep.image_for(STATEMENTS[0])  # load the font once

    def craft(index: int) -> None:
        fields = {"instruction": STATEMENTS[index % len(STATEMENTS)], "question": "q"}
        crafted = figstep.craft(Sample(str(index), "bench", fields))
        assert isinstance(crafted.images[0], ImageInput)

    rendered = rate(images, lambda index: figstep.image_for(STATEMENTS[index % len(STATEMENTS)]))
    return rendered, rate(images, craft)


def measure(quick: bool) -> list[BenchFigure]:
    """FigStep typography images/s over 200 images (20 with ``quick``)."""
    images = 20 if quick else 200
    rendered, crafted = rates(images)
    return [
        figure(
            "figstep-typography",
            "FigStep typographic images rendered (FigStep.image_for, 760×760)",
            rendered,
            "images/s",
            better="higher",
            note=f"{images} images, 4 statements in turn",
            detail={"images": images, "craft_images_per_s": round(crafted, 1)},
        )
    ]


def main() -> None:
    """Print images/s for the renderer and for the full craft step."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args()
    rendered, crafted = rates(args.images)
    print(f"FigStep render:             {rendered:.1f} images/s")
    print(f"FigStep craft (render+PNG): {crafted:.1f} images/s")
    print(f"peak memory:                {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
