"""The loaded knowledge base: taxonomy, facets, model registry and papers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from lvlmkb.kb.schema import Exclusion, Facet, ModelEntry, Paper, TaxonomyNode
from lvlmkb.kb.schema.taxonomy import Scope
from lvlmkb.kb.yamlio import YamlDocument
from lvlmkb.project import Project


@dataclass
class Taxonomy:
    """The lifecycle tree and the facet vocabularies."""

    nodes: dict[str, TaxonomyNode] = field(default_factory=dict)
    facets: dict[str, Facet] = field(default_factory=dict)
    scope: Scope | None = None

    @cached_property
    def children(self) -> dict[str, list[str]]:
        """Map each node id to the ids of its children, in file order."""
        result: dict[str, list[str]] = {node_id: [] for node_id in self.nodes}
        for node in self.nodes.values():
            if node.parent in result:
                result[node.parent].append(node.id)
        return result

    @property
    def roots(self) -> list[str]:
        """Ids of the nodes without a parent (the kinds)."""
        return [node.id for node in self.nodes.values() if node.parent is None]

    def is_leaf(self, node_id: str) -> bool:
        """Return True when ``node_id`` exists and has no children."""
        return node_id in self.nodes and not self.children[node_id]

    @property
    def leaves(self) -> list[str]:
        """All leaf ids, in file order."""
        return [node_id for node_id in self.nodes if self.is_leaf(node_id)]

    def ancestors(self, node_id: str) -> list[str]:
        """Ids from ``node_id`` up to its root (inclusive); stops on a cycle or a gap."""
        chain: list[str] = []
        current: str | None = node_id
        while current is not None and current in self.nodes and current not in chain:
            chain.append(current)
            current = self.nodes[current].parent
        return chain

    def kind_of(self, node_id: str) -> str | None:
        """The kind declared on the nearest ancestor that declares one."""
        return next((k for a in self.ancestors(node_id) if (k := self.nodes[a].kind)), None)

    def phase_of(self, node_id: str) -> str | None:
        """The phase declared on the nearest ancestor that declares one."""
        return next((p for a in self.ancestors(node_id) if (p := self.nodes[a].phase)), None)

    def subtree(self, node_id: str) -> list[str]:
        """``node_id`` and every node below it, depth first."""
        found = [node_id]
        for child in self.children.get(node_id, []):
            found.extend(self.subtree(child))
        return found

    def facet_values(self, facet_id: str) -> set[str]:
        """Allowed value ids of one facet (empty when the facet does not exist)."""
        facet = self.facets.get(facet_id)
        return {value.id for value in facet.values} if facet else set()


@dataclass
class KnowledgeBase:
    """Everything loaded from one checkout, plus where each object came from."""

    project: Project
    taxonomy: Taxonomy = field(default_factory=Taxonomy)
    models: dict[str, ModelEntry] = field(default_factory=dict)
    papers: dict[str, Paper] = field(default_factory=dict)
    paper_docs: dict[str, YamlDocument] = field(default_factory=dict)
    node_docs: dict[str, tuple[YamlDocument, int]] = field(default_factory=dict)
    reproductions: set[str] = field(default_factory=set)
    excluded: list[Exclusion] = field(default_factory=list)
    excluded_doc: YamlDocument | None = None
    unloaded_papers: set[str] = field(default_factory=set)
    """Ids (file stems and declared ids) of paper files that did not load: references to them are not re-reported."""
    unloaded_parts: set[str] = field(default_factory=set)
    """``"taxonomy"`` or ``"models"`` when a file of that part did not load: checks that depend on it are skipped."""

    def __iter__(self) -> Iterator[Paper]:
        return iter(self.sorted_papers())

    def sorted_papers(self) -> list[Paper]:
        """Papers newest first (by date, then id), the order every listing uses."""
        return sorted(self.papers.values(), key=lambda p: (p.date or str(p.year), p.id), reverse=True)

    def paper(self, paper_id: str) -> Paper | None:
        """Return the paper with this id, or None."""
        return self.papers.get(paper_id)
