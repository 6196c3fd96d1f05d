"""Validate 10,000 synthetic papers and compare with a bare ``yaml.CSafeLoader`` parse.

Usage: python bench/validate_bench.py [--papers N] [--repeat R]
Prints the best wall time of each over R runs and their ratio (target: <= 1.5).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml
from synthetic import build_kb

from lvlmkb.project import Project
from lvlmkb.validate import validate


def bare_parse(project: Project) -> int:
    """Read and parse every file with the C loader, nothing more; return the count."""
    count = 0
    for path in sorted(project.papers_dir.glob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        count += 1
    return count


def best_of(repeat: int, action: object) -> float:
    """Best wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Run the comparison and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = build_kb(Path(tmp), args.papers)
        report = validate(project)
        assert report.ok, report.diagnostics[:5]
        parse = best_of(args.repeat, lambda: bare_parse(project))
        check = best_of(args.repeat, lambda: validate(project))
    print(f"papers:                 {args.papers}")
    print(f"bare CSafeLoader parse: {parse:.3f} s")
    print(f"lvlmkb validate:        {check:.3f} s")
    print(f"ratio:                  {check / parse:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
