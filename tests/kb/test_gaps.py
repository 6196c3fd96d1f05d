"""``lvlmkb gaps``: the report on a small synthetic knowledge base, gap by gap."""

from __future__ import annotations

from pathlib import Path

import pytest

from lvlmkb.kb.gaps import SECTIONS, FamilyGap, GapReport, find_gaps, format_report, plugin_papers
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import find_root
from tests.conftest import PaperWriter


def paper_yaml(paper_id: str, kind: str, category: str, phase: str | None, extra: str = "") -> str:
    """A valid paper with only the required fields (no authors, arXiv id, targets or code) plus ``extra``."""
    phase_line = f"phase: {phase}\n" if phase else ""
    return (
        f"id: {paper_id}\ntitle: Title of {paper_id}\nauthors: []\nyear: 2024\nkind: {kind}\n{phase_line}"
        f"category: {category}\nsummary: A synthetic paper.\n{extra}"
    )


PLUGIN = """\
from lvlmkb.eval import Method, MethodConfig, benchmark


@benchmark(paper="bench2024done", version=1, dataset="none", judges=[])
class FakeBench(Method[MethodConfig]):
    pass
"""


@pytest.fixture
def gap_kb(kb_root: Path, write_paper: PaperWriter) -> KnowledgeBase:
    """doe2024example (a typography attack with full metadata) plus papers chosen to hit each gap once."""
    code = "urls:\n  code: https://github.com/example/{}\n"
    write_paper("atk2024visual", paper_yaml("atk2024visual", "attack", "white-box-single-modal", "inference"))
    guard_extra = code.format("guard") + "relations:\n  defends_against: [doe2024example]\n"
    write_paper("def2024guard", paper_yaml("def2024guard", "defense", "input-sanitization", "inference", guard_extra))
    write_paper("def2024lonely", paper_yaml("def2024lonely", "defense", "output-validation", "inference"))
    bench_extra = "relations:\n  evaluated_on: [bench2024safe]\n"
    write_paper("def2024bench", paper_yaml("def2024bench", "defense", "data-driven", "training", bench_extra))
    safe_extra = code.format("safe")
    write_paper("bench2024safe", paper_yaml("bench2024safe", "evaluation", "harmful-query-benchmark", None, safe_extra))
    done_extra = code.format("done")
    write_paper("bench2024done", paper_yaml("bench2024done", "evaluation", "over-refusal-benchmark", None, done_extra))
    judge_extra = "reproductions: [fake-bench]\n" + code.format("judge")
    write_paper("eval2024judge", paper_yaml("eval2024judge", "evaluation", "model-based-evaluation", None, judge_extra))
    (kb_root / "reproductions" / "__init__.py").write_text("", encoding="utf-8")
    (kb_root / "reproductions" / "fake_bench.py").write_text(PLUGIN, encoding="utf-8")
    kb, diagnostics = open_kb(find_root(explicit=kb_root))
    assert [d.render() for d in diagnostics if d.severity == "error"] == []
    return kb


def test_gap_report_is_exact(gap_kb: KnowledgeBase) -> None:
    label = gap_kb.taxonomy.nodes["white-box-single-modal"].label
    others = ["atk2024visual", "bench2024done", "bench2024safe", "def2024bench", "def2024guard", "def2024lonely"]
    assert find_gaps(gap_kb) == GapReport(
        papers=8,
        attack_families=2,
        undefended_families=[FamilyGap("white-box-single-modal", label, ["atk2024visual"])],
        untested_defenses=["def2024lonely"],
        unreproduced_benchmarks=["bench2024safe"],
        code_without_reproduction=["bench2024safe", "def2024guard", "doe2024example"],
        missing={
            "authors": sorted([*others, "eval2024judge"]),
            "arxiv": sorted([*others, "eval2024judge"]),
            "targets": sorted([*others, "eval2024judge"]),
            "code": ["atk2024visual", "def2024bench", "def2024lonely"],
        },
    )


def test_defends_against_from_a_non_defense_does_not_count(
    gap_kb: KnowledgeBase, kb_root: Path, write_paper: PaperWriter
) -> None:
    extra = "relations:\n  defends_against: [atk2024visual]\n"
    write_paper("bench2024safe", paper_yaml("bench2024safe", "evaluation", "harmful-query-benchmark", None, extra))
    kb, _ = open_kb(find_root(explicit=kb_root))
    assert [gap.category for gap in find_gaps(kb).undefended_families] == ["white-box-single-modal"]


def test_plugin_papers_are_read_from_the_decorators(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "a.py").write_text('import torch  # never imported\n@attack(paper="x2024a")\nclass A: ...\n')
    (tmp_path / "_helper.py").write_text('@attack(paper="z2024c")\nclass H: ...\n')
    assert plugin_papers(tmp_path) == {"x2024a"}
    assert plugin_papers(tmp_path / "missing") == set()


def test_real_plugins_are_found_by_the_scan() -> None:
    from tests.conftest import REPO

    found = plugin_papers(REPO / "reproductions")
    assert {"gong2023figstep", "wang2024siuo", "liu2023mmsafetybench"} <= found


def test_format_report_groups_sections(gap_kb: KnowledgeBase) -> None:
    text = format_report(find_gaps(gap_kb))
    label = gap_kb.taxonomy.nodes["white-box-single-modal"].label
    assert text.startswith("Gaps in 8 papers\n")
    for title in SECTIONS.values():
        assert title in text
    assert "Attack families never evaluated against a defense (1 of 2)" in text
    assert f"  white-box-single-modal ({label}): atk2024visual" in text
    assert "  without a code link (3): atk2024visual, def2024bench, def2024lonely" in text


def test_empty_sections_say_none(kb_root: Path) -> None:
    kb, _ = open_kb(find_root(explicit=kb_root))
    report = find_gaps(kb)
    assert report.untested_defenses == [] and report.missing["authors"] == []
    text = format_report(report)
    assert "Defenses never tested on an attack or benchmark (0)\n  none\n" in text
    assert "  without authors (0): none" in text
