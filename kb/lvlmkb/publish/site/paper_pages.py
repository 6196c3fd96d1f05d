"""One page per paper, the paper index and the tags page."""

from __future__ import annotations

from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.query import incoming_relations, reproduce_commands
from lvlmkb.kb.schema import Paper
from lvlmkb.publish.escape import md, md_link
from lvlmkb.publish.site.links import Pages, front_matter, node_link, paper_link, paper_path, relative, table

RELATION_LABELS = {
    "evaluated_on": ("Evaluated on", "Benchmark for"),
    "compared_with": ("Compared with", "Compared with by"),
    "defends_against": ("Defends against", "Defended against by"),
    "extends": ("Extends", "Extended by"),
}


def paper_pages(kb: KnowledgeBase) -> Pages:
    """Every paper page plus ``papers/index.md``."""
    pages = {paper_path(p.id): paper_page(kb, p) for p in kb.sorted_papers()}
    pages["papers/index.md"] = papers_index(kb)
    pages["tags.md"] = "# Tags\n\nPapers grouped by their tags.\n\n<!-- material/tags -->\n"
    return pages


def paper_page(kb: KnowledgeBase, paper: Paper) -> str:
    """Metadata, summary, classification, relations both ways, reported results and reproduction."""
    page = paper_path(paper.id)
    lines = [*front_matter(paper.title, paper.tags), f"# {md(paper.title)}", "", md(paper.summary), ""]
    lines += table(["Field", "Value"], _metadata_rows(kb, page, paper))
    lines += _relations(kb, page, paper)
    lines += _results(paper)
    if paper.reproductions:
        lines += ["", "## Reproduction", "", "```bash", *reproduce_commands(paper), "```", ""]
        cards = relative(page, "reproductions.md")
        links = ", ".join(f"[{md(method)}]({cards}#{method})" for method in paper.reproductions)
        lines += [f"Parameter card{'s' if len(paper.reproductions) > 1 else ''}: {links}."]
    if paper.notes:
        lines += ["", "## Notes", "", md(paper.notes)]
    lines += ["", f"<small>Source: `papers/{paper.id}.yaml`</small>", ""]
    return "\n".join(lines)


def _metadata_rows(kb: KnowledgeBase, page: str, paper: Paper) -> list[list[str]]:
    path = " › ".join(node_link(kb, page, n) for n in reversed(kb.taxonomy.ancestors(paper.category)))
    facets = "; ".join(f"{md(k)}: {md(', '.join(v))}" for k, v in paper.facets.items() if v)
    links = " · ".join(md_link(name, url) for name, url in paper.urls.model_dump().items() if url)
    rows = [
        ["Authors", md(", ".join(paper.authors)) if paper.authors else "not yet entered"],
        ["Affiliations", md(", ".join(paper.affiliations))],
        ["Venue", md(f"{paper.venue or '-'} ({paper.year})")],
        ["First version", md(paper.date or "-")],
        ["arXiv", md_link(paper.arxiv, f"https://arxiv.org/abs/{paper.arxiv}") if paper.arxiv else "-"],
        ["Links", links or "-"],
        ["Category", path],
        ["Facets", facets or "-"],
        ["Models evaluated", md(", ".join(kb.models[t].label for t in paper.targets if t in kb.models)) or "-"],
        ["Citations", _citations(paper)],
        ["Sources", sources_line(paper)],
        ["Unverified", md(", ".join(paper.unverified))],
    ]
    return [[f"**{name}**", value] for name, value in rows if value]


SOURCE_KIND_LABELS = {
    "arxiv": "arXiv",
    "proceedings": "proceedings",
    "publisher": "publisher",
    "openreview": "OpenReview",
    "dblp": "DBLP",
    "official-repo": "authors' repository",
    "author-page": "authors' page",
    "list": "paper list",
}


def sources_line(paper: Paper) -> str:
    """Where each field was confirmed, fields sharing one source grouped: ``title, authors: arXiv 2311.05608v3 …``."""
    grouped: dict[tuple[str, str, str | None, str], list[str]] = {}
    for field, source in paper.sources.items():
        grouped.setdefault((source.kind, source.ref, source.via, source.checked), []).append(field)
    parts = []
    for (kind, ref, via, checked), fields in grouped.items():
        url = f"https://arxiv.org/abs/{ref}" if kind == "arxiv" and "://" not in ref else ref
        shown = md_link(ref, url)
        read = f", read via {md(via)}" if via else ""
        parts.append(f"{md(', '.join(fields))}: {SOURCE_KIND_LABELS[kind]} {shown} (checked {md(checked)}{read})")
    return "; ".join(parts)


def _citations(paper: Paper) -> str:
    cited = paper.citations
    return md(f"{cited.count} ({cited.source}, {cited.checked})") if cited else ""


def _relations(kb: KnowledgeBase, page: str, paper: Paper) -> list[str]:
    outgoing = paper.relations.model_dump()
    incoming = incoming_relations(kb, paper.id)
    rows: list[list[str]] = []
    for name, (out_label, in_label) in RELATION_LABELS.items():
        if outgoing[name]:
            rows.append([out_label, ", ".join(paper_link(kb, page, other) for other in outgoing[name])])
        if incoming.get(name):
            rows.append([in_label, ", ".join(paper_link(kb, page, other) for other in incoming[name])])
    return ["", "## Relations", "", *table(["Relation", "Papers"], rows)] if rows else []


def _results(paper: Paper) -> list[str]:
    if not paper.reported_results:
        return []
    rows = [
        [md(r.model), md(r.benchmark), md(r.setting or ""), md(r.metric), f"{r.value:g}", md(r.source)]
        for r in paper.reported_results
    ]
    header = ["Model", "Benchmark", "Setting", "Metric", "Reported", "Source"]
    return ["", "## Reported results", "", "Numbers as the paper published them.", "", *table(header, rows)]


def papers_index(kb: KnowledgeBase) -> str:
    """All papers in one table, newest first."""
    page = "papers/index.md"
    rows = [
        [
            md(p.date or str(p.year)),
            paper_link(kb, page, p.id),
            node_link(kb, page, p.category),
            md(p.venue or ""),
            md_link("code", p.urls.code) if p.urls.code else "",
            "🧪" if p.reproductions else "",
        ]
        for p in kb.sorted_papers()
    ]
    header = ["Date", "Title", "Category", "Venue", "Code", "Repro"]
    return "\n".join([f"# Papers ({len(kb.papers)})", "", *table(header, rows), *_excluded_section(kb), ""])


def _excluded_section(kb: KnowledgeBase) -> list[str]:
    """The source-list papers left out on purpose, with the reason (``papers/excluded.yaml``)."""
    if not kb.excluded:
        return []
    rows = []
    for entry in kb.excluded:
        url = f"https://arxiv.org/abs/{entry.arxiv}" if entry.arxiv else entry.url
        rows.append([md_link(entry.title, url) if url else md(entry.title), md(entry.reason)])
    intro = "Papers of the source lists left out of the knowledge base on purpose (`papers/excluded.yaml`)."
    return ["", f"## Left out ({len(kb.excluded)})", "", intro, "", *table(["Title", "Reason"], rows)]
