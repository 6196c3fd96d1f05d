"""The Gaps page lists what ``lvlmkb gaps`` finds, every paper linked, on the real KB and a hostile one."""

from __future__ import annotations

from pathlib import Path

import yaml

from lvlmkb.kb.gaps import find_gaps
from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from lvlmkb.publish.site.gaps_page import gaps_page
from tests.conftest import VALID_PAPER
from tests.contract.test_kb import report


def test_every_gap_of_the_report_is_on_the_page() -> None:
    kb = report().kb
    found = find_gaps(kb)
    page = gaps_page(kb)
    assert f"({len(found.undefended_families)} of {found.attack_families})" in page
    for paper_id in found.untested_defenses + found.unreproduced_benchmarks + found.code_without_reproduction:
        assert f"[{paper_id}](papers/{paper_id}.md)" in page
    for gap in found.undefended_families:
        assert f"(taxonomy/{gap.category}.md)" in page


def test_titles_and_labels_are_escaped(kb_root: Path) -> None:
    data = yaml.safe_load(VALID_PAPER)
    data.update(id="evil2024x", title="<script>alert(1)</script>", arxiv="2403.01299")
    (kb_root / "papers" / "evil2024x.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    page = gaps_page(validate(Project(kb_root)).kb)
    assert "<script>" not in page and "[evil2024x](papers/evil2024x.md)" in page
