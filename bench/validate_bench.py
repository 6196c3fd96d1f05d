"""Validate 10,000 synthetic papers and compare with a bare ``yaml.CSafeLoader`` parse.

Usage: python bench/validate_bench.py [--papers N] [--repeat R]
Prints the best wall time of each over R runs and their ratio (target: <= 1.5).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import yaml

from lvlmkb.project import Project
from lvlmkb.validate import validate

REPO = Path(__file__).resolve().parent.parent
LEAVES = [
    ("attack", "inference", "black-box-typography"),
    ("attack", "training", "backdoor-trigger"),
    ("defense", "inference", "input-sanitization"),
    ("defense", "training", "strategy-driven"),
    ("evaluation", None, "harmful-query-benchmark"),
]


def synthetic_paper(index: int) -> str:
    """One valid paper file whose content varies with ``index``."""
    kind, phase, category = LEAVES[index % len(LEAVES)]
    year = 2019 + index % 7
    lines = [
        "# yaml-language-server: $schema=paper.schema.json",
        f"id: synthetic{index:05d}",
        f"title: Synthetic paper number {index} on multimodal safety",
        "authors:",
        f"- Author {index} One",
        "- Author Two",
        f"year: {year}",
        f"venue: Venue'{year % 100:02d}",
        f"date: '{year}-{1 + index % 12:02d}-{1 + index % 28:02d}'",
        "urls:",
        f"  paper: https://example.org/paper/{index}",
        f"kind: {kind}",
    ]
    if phase:
        lines.append(f"phase: {phase}")
    lines += [
        f"category: {category}",
        "facets:",
        "  access: [black-box]",
        "  modality: [image-text]",
        "  objective: [jailbreak]",
        f"summary: A generated summary for benchmarking validation speed, entry {index}.",
        "tags: [synthetic, benchmark]",
        "targets: [llava-1.5-7b, janus-pro]",
    ]
    if index > 0:
        lines += ["relations:", f"  compared_with: [synthetic{index - 1:05d}]"]
    return "\n".join(lines) + "\n"


def build_kb(root: Path, count: int) -> Project:
    """A checkout with the real taxonomy and registry and ``count`` synthetic papers."""
    shutil.copytree(REPO / "taxonomy", root / "taxonomy")
    (root / "reproductions").mkdir()
    shutil.copy(REPO / "reproductions" / "models.yaml", root / "reproductions")
    papers = root / "papers"
    papers.mkdir()
    for index in range(count):
        (papers / f"synthetic{index:05d}.yaml").write_text(synthetic_paper(index), encoding="utf-8")
    return Project(root)


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
