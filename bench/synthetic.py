"""Synthetic knowledge bases for the benchmarks: valid papers whose content varies with an index."""

from __future__ import annotations

import shutil
from pathlib import Path

from lvlmkb.project import Project

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
    source = f"{{kind: proceedings, ref: 'https://example.org/paper/{index}', checked: '2026-01-05'}}"
    lines += ["sources:", *(f"  {field}: {source}" for field in ("title", "authors", "date", "venue"))]
    return "\n".join(lines) + "\n"


def build_kb(root: Path, count: int) -> Project:
    """A checkout with the real taxonomy and registry and ``count`` synthetic papers."""
    shutil.copytree(REPO / "taxonomy", root / "taxonomy")
    shutil.copytree(REPO / "site", root / "site")
    (root / "reproductions").mkdir()
    shutil.copy(REPO / "reproductions" / "models.yaml", root / "reproductions")
    papers = root / "papers"
    papers.mkdir()
    for index in range(count):
        (papers / f"synthetic{index:05d}.yaml").write_text(synthetic_paper(index), encoding="utf-8")
    return Project(root)
