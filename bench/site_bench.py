"""Site build and README render time for the real KB and for a synthetic KB of 2,000 papers.

Usage: python bench/site_bench.py [--papers N]
Target: the full KB builds in <= 15 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from figures import figure, peak_rss_mib
from synthetic import REPO, build_kb

from lvlmkb.kb.schema.bench import BenchFigure
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from lvlmkb.publish.readme import render_paper_list
from lvlmkb.publish.site.build import build_site

TARGET_S = 15.0


def timed_build(project: Project, out: Path) -> tuple[float, int]:
    """Seconds and page count of one full site build."""
    start = time.perf_counter()
    result = build_site(project, out=out)
    return time.perf_counter() - start, result.pages


def timed_readme(project: Project) -> float:
    """Seconds to load the KB and render the README list."""
    start = time.perf_counter()
    kb, _ = open_kb(project, strict=True)
    render_paper_list(kb)
    return time.perf_counter() - start


def measure(quick: bool) -> list[BenchFigure]:
    """The full KB's site build and README render (the same in ``quick`` mode: the KB is the subject)."""
    real = Project(REPO)
    with tempfile.TemporaryDirectory() as tmp:
        seconds, pages = timed_build(real, Path(tmp) / "site")
    papers = len(list(real.papers_dir.glob("*.yaml")))
    readme = timed_readme(real)
    return [
        figure(
            "site-build",
            f"lvlmkb site build of the full KB ({papers} paper files, {pages} pages)",
            seconds,
            "s",
            target=TARGET_S,
            note="one build: validate, generate pages, MkDocs",
            detail={"papers": papers, "pages": pages},
        ),
        figure("readme-render", "load the KB and render the README paper list", readme, "s", note="one run"),
    ]


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        real = Project(REPO)
        seconds, pages = timed_build(real, Path(tmp) / "real")
        print(f"full KB site build:        {seconds:.2f} s, {pages} pages (target <= {TARGET_S:g} s)")
        print(f"full KB README render:     {timed_readme(real):.2f} s")
        synthetic = build_kb(Path(tmp) / "kb", args.papers)
        seconds, pages = timed_build(synthetic, Path(tmp) / "synthetic")
        print(f"{args.papers} papers site build:  {seconds:.2f} s, {pages} pages")
        print(f"{args.papers} papers README:      {timed_readme(synthetic):.2f} s")
    print(f"peak memory:               {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
