"""Published numbers: the one place that decides which of the KB's reported results go beside a measured one."""

from __future__ import annotations

import re
from collections.abc import Collection

from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.schema.paper import ReportedResult


def published(kb: KnowledgeBase, paper_id: str, model: str) -> list[ReportedResult]:
    """Every number ``paper_id`` reported for ``model`` (none when the paper is not in the KB)."""
    paper = kb.papers.get(paper_id)
    return [] if paper is None else [r for r in paper.reported_results if r.model == model]


def published_for_run(
    kb: KnowledgeBase,
    paper_id: str,
    model: str,
    setting: str = "",
    dataset: str = "",
    unreported: Collection[str] = (),
) -> list[tuple[str, ReportedResult]]:
    """The published numbers a run of ``paper_id``'s method on ``model`` is compared with, each with its paper.

    The method's own paper's numbers (those of the same setting when any names it), plus the numbers of
    papers that evaluated on it (a survey's table, say) under exactly the same setting. When some of the
    paper's numbers were measured on the run's dataset (benchmark ``SafeBench-Tiny`` for ``safebench-tiny``),
    only those are kept. A run on one of the ``unreported`` datasets (sets its paper published no number on,
    such as ``mossbench-contrast``) gets none of the paper's own numbers.
    """
    for_model = published(kb, paper_id, model)
    same_setting = [r for r in for_model if setting and (r.setting or "").lower() == setting.lower()]
    chosen = same_setting or for_model
    on_dataset = [r for r in chosen if dataset and _slug(r.benchmark) == dataset.lower()]
    found = [] if dataset in unreported else [(paper_id, r) for r in (on_dataset or chosen)]
    if paper_id not in kb.papers:
        return found
    for other in kb.sorted_papers():
        if other.id == paper_id or paper_id not in other.relations.evaluated_on:
            continue
        found += [
            (other.id, r)
            for r in published(kb, other.id, model)
            if setting and (r.setting or "").lower() == setting.lower()
        ]
    return found


def _slug(label: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", label.lower()))
