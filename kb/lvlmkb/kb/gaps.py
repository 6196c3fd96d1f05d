"""What the knowledge base does not cover yet: attack families, defenses, reproductions and metadata.

Reproductions are found without importing them (plugins may import torch): a paper counts as
reproduced when its ``reproductions`` list is set or a plugin in ``reproductions/`` names it in its
decorator (``@attack(paper="<id>", ...)``, read by :mod:`lvlmkb.kb.plugin_scan`).
"""

from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.plugin_scan import declared_plugins
from lvlmkb.kb.schema import Paper

SECTIONS = {
    "undefended_families": "Attack families never evaluated against a defense",
    "untested_defenses": "Defenses never tested on an attack or benchmark",
    "unreproduced_benchmarks": "Benchmarks without a reproduction",
    "code_without_reproduction": "Papers with code but no reproduction",
    "missing": "Metadata gaps",
}
MISSING_LABELS = {
    "authors": "without authors",
    "arxiv": "without an arXiv id",
    "targets": "without target models",
    "code": "without a code link",
}
BENCHMARK_SUFFIX = "-benchmark"


@dataclass(frozen=True)
class FamilyGap:
    """An attack family (taxonomy leaf) whose papers no defense paper defends against."""

    category: str
    label: str
    attacks: list[str]


@dataclass(frozen=True)
class GapReport:
    """Everything :func:`find_gaps` found; id lists are sorted."""

    papers: int
    attack_families: int
    undefended_families: list[FamilyGap] = field(default_factory=list)
    untested_defenses: list[str] = field(default_factory=list)
    unreproduced_benchmarks: list[str] = field(default_factory=list)
    code_without_reproduction: list[str] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return dataclasses.asdict(self)


def find_gaps(kb: KnowledgeBase) -> GapReport:
    """Build the gap report of ``kb``."""
    papers = sorted(kb.papers.values(), key=lambda p: p.id)
    families = attack_families(kb)
    reproduced = reproduced_papers(kb)
    return GapReport(
        papers=len(papers),
        attack_families=len(families),
        undefended_families=undefended_families(kb, families),
        untested_defenses=[p.id for p in papers if p.kind == "defense" and not _tested(p)],
        unreproduced_benchmarks=[p.id for p in papers if is_benchmark(p) and p.id not in reproduced],
        code_without_reproduction=[p.id for p in papers if p.urls.code and p.id not in reproduced],
        missing=missing_metadata(papers),
    )


def attack_families(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Attack leaves that have papers, in taxonomy order, with their paper ids."""
    taxonomy = kb.taxonomy
    members: dict[str, list[str]] = {}
    for paper in sorted(kb.papers.values(), key=lambda p: p.id):
        members.setdefault(paper.category, []).append(paper.id)
    return {leaf: members[leaf] for leaf in taxonomy.leaves if taxonomy.kind_of(leaf) == "attack" and leaf in members}


def undefended_families(kb: KnowledgeBase, families: dict[str, list[str]]) -> list[FamilyGap]:
    """Families none of whose papers is the target of a defense paper's ``defends_against``."""
    defended = {
        target for paper in kb.papers.values() if paper.kind == "defense" for target in paper.relations.defends_against
    }
    return [
        FamilyGap(leaf, kb.taxonomy.nodes[leaf].label, ids)
        for leaf, ids in families.items()
        if not defended.intersection(ids)
    ]


def _tested(paper: Paper) -> bool:
    return bool(paper.relations.defends_against or paper.relations.evaluated_on)


def is_benchmark(paper: Paper) -> bool:
    """An evaluation paper classified under a ``*-benchmark`` leaf."""
    return paper.kind == "evaluation" and paper.category.endswith(BENCHMARK_SUFFIX)


def reproduced_papers(kb: KnowledgeBase) -> set[str]:
    """Ids of papers with ``reproductions`` or named by a reproduction module."""
    named = {p.id for p in kb.papers.values() if p.reproductions}
    return named | plugin_papers(kb.project.reproductions_dir)


def plugin_papers(folder: Path) -> set[str]:
    """Paper ids the plugins in ``folder`` declare (``@attack(paper=...)``), found by reading, not importing."""
    return {plugin.paper for plugin in declared_plugins(folder) if plugin.paper is not None}


def missing_metadata(papers: list[Paper]) -> dict[str, list[str]]:
    """Ids of papers lacking authors, an arXiv id, targets or a code link."""
    return {
        "authors": [p.id for p in papers if not p.authors],
        "arxiv": [p.id for p in papers if p.arxiv is None],
        "targets": [p.id for p in papers if not p.targets],
        "code": [p.id for p in papers if p.urls.code is None],
    }


def format_report(report: GapReport, width: int = 100) -> str:
    """The report as grouped plain text, one section per kind of gap."""
    lines = [f"Gaps in {report.papers} papers", ""]
    families = report.undefended_families
    lines.append(f"{SECTIONS['undefended_families']} ({len(families)} of {report.attack_families})")
    for gap in families:
        lines += _ids(f"{gap.category} ({gap.label})", gap.attacks, width)
    for key in ("untested_defenses", "unreproduced_benchmarks", "code_without_reproduction"):
        ids: list[str] = getattr(report, key)
        lines += ["", f"{SECTIONS[key]} ({len(ids)})", *_ids("", ids, width)]
    lines += ["", SECTIONS["missing"]]
    for key, ids in report.missing.items():
        lines += _ids(f"{MISSING_LABELS[key]} ({len(ids)})", ids, width)
    return "\n".join(lines) + "\n"


def _ids(label: str, ids: list[str], width: int) -> list[str]:
    if not ids:
        return [f"  {label}: none" if label else "  none"]
    text = ", ".join(ids)
    if not label:
        return textwrap.wrap(text, width, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False)
    return textwrap.wrap(
        f"{label}: {text}", width, initial_indent="  ", subsequent_indent="      ", break_on_hyphens=False
    )
