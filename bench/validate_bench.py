"""Validate 10,000 synthetic papers and compare with a bare ``yaml.CSafeLoader`` parse.

Usage: python bench/validate_bench.py [--papers N] [--repeat R]
Prints the best wall (and CPU) time of each over R alternating runs and their ratio (target: <= 1.5).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import yaml
from figures import figure, interleaved_best
from synthetic import build_kb

from lvlmkb.kb.schema.bench import BenchFigure
from lvlmkb.kb.validate import validate
from lvlmkb.project import Project

TARGET = 1.5


def bare_parse(project: Project) -> int:
    """Read and parse every file with the C loader, nothing more; return the count."""
    count = 0
    for path in sorted(project.papers_dir.glob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        count += 1
    return count


def compare(papers: int, repeat: int) -> tuple[list[float], list[float]]:
    """Best wall and CPU seconds of a bare parse and of ``validate`` (in that order), ``papers`` synthetic papers.

    The two alternate, ``repeat`` times each, after one untimed validation (which also checks the KB is valid).
    """
    with tempfile.TemporaryDirectory() as tmp:
        project = build_kb(Path(tmp), papers)
        report = validate(project)
        assert report.ok, report.diagnostics[:5]
        return interleaved_best(repeat, [lambda: bare_parse(project), lambda: validate(project)])


def measure(quick: bool) -> list[BenchFigure]:
    """The validate/parse ratio at 10,000 papers (500 with ``quick``)."""
    papers, repeat = (500, 1) if quick else (10_000, 5)
    (parse, check), (parse_cpu, check_cpu) = compare(papers, repeat)
    return [
        figure(
            "validate-vs-parse",
            f"lvlmkb validate of {papers:,} synthetic papers / bare yaml.CSafeLoader parse",
            check / parse,
            "×",
            target=TARGET,
            note=f"wall time, best of {repeat} alternating runs each",
            detail={
                "papers": papers,
                "parse_s": round(parse, 4),
                "validate_s": round(check, 4),
                "cpu_ratio": round(check_cpu / parse_cpu, 3),
            },
        )
    ]


def main() -> None:
    """Run the comparison and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    (parse, check), (parse_cpu, check_cpu) = compare(args.papers, args.repeat)
    print(f"papers:                 {args.papers}")
    print(f"bare CSafeLoader parse: {parse:.3f} s (CPU {parse_cpu:.3f} s)")
    print(f"lvlmkb validate:        {check:.3f} s (CPU {check_cpu:.3f} s)")
    print(f"ratio:                  {check / parse:.2f} (CPU {check_cpu / parse_cpu:.2f}; target <= {TARGET})")


if __name__ == "__main__":
    main()
