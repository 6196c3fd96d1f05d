"""The Gaps page: what the relation graph shows is missing, from :func:`lvlmkb.kb.gaps.find_gaps`."""

from __future__ import annotations

from lvlmkb.kb.gaps import find_gaps
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.publish.escape import md
from lvlmkb.publish.site.links import node_link, paper_path, relative, table

PAGE = "gaps.md"
MISSING_LABELS = {
    "authors": "without authors",
    "arxiv": "without an arXiv id",
    "targets": "without target models",
    "code": "without a code link",
}


def gaps_page(kb: KnowledgeBase) -> str:
    """Research and coverage gaps, each paper linked; the same report as ``lvlmkb gaps``."""
    report = find_gaps(kb)
    lines = [
        "# Gaps",
        "",
        "What the knowledge base's relations show is missing: attack families that no defense paper was",
        "evaluated against, defenses tested on no attack or benchmark in the KB, and what lvlmkb cannot run",
        "yet. A gap can also mean a relation nobody has entered: `relations` in a paper file fills it.",
        "",
        f"## Attack families never evaluated against a defense ({len(report.undefended_families)} of "
        f"{report.attack_families})",
        "",
    ]
    rows = [[node_link(kb, PAGE, gap.category), _papers(kb, gap.attacks)] for gap in report.undefended_families]
    lines += table(["Family", "Attacks"], rows)
    lines += _section(kb, "Defenses never tested on an attack or benchmark", report.untested_defenses)
    lines += _section(kb, "Benchmarks without a reproduction", report.unreproduced_benchmarks)
    lines += _section(kb, "Papers with code but no reproduction", report.code_without_reproduction)
    lines += ["", "## Metadata", ""]
    rows = [[md(MISSING_LABELS.get(key, key)), str(len(ids)), _papers(kb, ids)] for key, ids in report.missing.items()]
    lines += table(["Missing", "Papers", "Which"], rows)
    return "\n".join([*lines, ""])


def _section(kb: KnowledgeBase, title: str, paper_ids: list[str]) -> list[str]:
    return ["", f"## {title} ({len(paper_ids)})", "", _papers(kb, paper_ids) or "None.", ""]


def _papers(kb: KnowledgeBase, paper_ids: list[str]) -> str:
    """Links with the paper id as text (these lists run long; each page gives the title)."""
    return ", ".join(f"[{md(pid)}]({relative(PAGE, paper_path(pid))})" for pid in paper_ids if pid in kb.papers)
