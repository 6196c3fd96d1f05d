"""The knowledge base as one networkx graph: taxonomy nodes, papers, models and relations."""

from __future__ import annotations

import networkx as nx

from lvlmkb.kb.knowledge import KnowledgeBase, Taxonomy

RELATION_FIELDS = ("evaluated_on", "compared_with", "defends_against", "extends")


def taxonomy_graph(taxonomy: Taxonomy) -> nx.DiGraph:
    """Directed graph parent → child of the lifecycle tree (dangling parents included)."""
    graph = nx.DiGraph()
    for node in taxonomy.nodes.values():
        graph.add_node(node.id)
        if node.parent is not None:
            graph.add_edge(node.parent, node.id)
    return graph


def relation_graph(kb: KnowledgeBase, relation: str | None = None) -> nx.MultiDiGraph:
    """Paper → paper edges for one relation, or all of them, keyed by relation name."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(kb.papers)
    for paper in kb.papers.values():
        for name in RELATION_FIELDS if relation is None else (relation,):
            for target in getattr(paper.relations, name):
                graph.add_edge(paper.id, target, key=name, relation=name)
    return graph


def kb_graph(kb: KnowledgeBase) -> nx.MultiDiGraph:
    """Everything as one typed graph, ready for GraphML or node-link JSON export."""
    graph = nx.MultiDiGraph()
    for node in kb.taxonomy.nodes.values():
        graph.add_node(f"taxonomy:{node.id}", type="taxonomy", label=node.label)
        if node.parent is not None:
            graph.add_edge(f"taxonomy:{node.parent}", f"taxonomy:{node.id}", relation="parent_of")
    for model in kb.models.values():
        graph.add_node(f"model:{model.id}", type="model", label=model.label)
    for paper in kb.sorted_papers():
        pid = f"paper:{paper.id}"
        graph.add_node(pid, type="paper", label=paper.title, kind=paper.kind, year=paper.year)
        graph.add_edge(pid, f"taxonomy:{paper.category}", relation="classified_as")
        for target in paper.targets:
            graph.add_edge(pid, f"model:{target}", relation="targets")
        for name in RELATION_FIELDS:
            for other in getattr(paper.relations, name):
                graph.add_edge(pid, f"paper:{other}", relation=name)
    return graph


def export_graph(kb: KnowledgeBase, fmt: str) -> str:
    """Serialise :func:`kb_graph` as GraphML or node-link JSON text."""
    graph = kb_graph(kb)
    if fmt == "graphml":
        return "\n".join(nx.generate_graphml(graph)) + "\n"
    import json

    data = nx.node_link_data(graph, edges="edges")
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
