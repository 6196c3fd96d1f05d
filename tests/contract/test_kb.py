"""One test per paper and per taxonomy node of the real knowledge base."""

from __future__ import annotations

import functools

import pytest

from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.validate import ValidationReport, validate
from lvlmkb.project import Project
from tests.conftest import REPO


@functools.cache
def report() -> ValidationReport:
    return validate(Project(REPO))


def _kb() -> KnowledgeBase:
    return report().kb


PAPER_FILES = sorted(p.stem for p in (REPO / "papers").glob("*.yaml") if p.name != "excluded.yaml")
NODES = list(_kb().taxonomy.nodes)


def test_whole_kb_is_valid() -> None:
    errors = [d.render() for d in report().diagnostics if d.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("paper_id", PAPER_FILES)
def test_paper(paper_id: str) -> None:
    kb = _kb()
    paper = kb.papers.get(paper_id)
    assert paper is not None, f"papers/{paper_id}.yaml did not load"
    assert kb.taxonomy.is_leaf(paper.category)
    assert kb.taxonomy.kind_of(paper.category) == paper.kind
    assert kb.taxonomy.phase_of(paper.category) == paper.phase
    assert 20 <= len(paper.summary) <= 600, "summary should be one or two sentences"
    assert paper.summary.lower() != paper.title.lower()
    text = (REPO / "papers" / f"{paper_id}.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=paper.schema.json\n")
    assert "CLASSIFY" not in text and "summary: WRITE" not in text


@pytest.mark.parametrize("node_id", NODES)
def test_taxonomy_node(node_id: str) -> None:
    taxonomy = _kb().taxonomy
    node = taxonomy.nodes[node_id]
    chain = taxonomy.ancestors(node_id)
    assert taxonomy.nodes[chain[-1]].kind is not None, "every node hangs under a kind"
    assert len(node.definition.split()) >= 5
    if taxonomy.kind_of(node_id) != "evaluation" and len(chain) >= 2:
        assert taxonomy.phase_of(node_id) is not None, "attack and defense nodes below the kind carry a phase"
