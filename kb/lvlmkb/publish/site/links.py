"""Page paths and relative links between generated pages."""

from __future__ import annotations

import json

from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.publish.escape import md, visible

Pages = dict[str, str]


def paper_path(paper_id: str) -> str:
    """Path of a paper's page inside the docs folder."""
    return f"papers/{paper_id}.md"


def node_path(node_id: str) -> str:
    """Path of a taxonomy node's page inside the docs folder."""
    return f"taxonomy/{node_id}.md"


def relative(from_page: str, to_page: str) -> str:
    """Relative link from one docs page to another (both given from the docs root)."""
    depth = from_page.count("/")
    return "../" * depth + to_page


def paper_link(kb: KnowledgeBase, from_page: str, paper_id: str) -> str:
    """Markdown link to a paper page, its title as text (the id when the paper is missing)."""
    paper = kb.papers.get(paper_id)
    text = paper.title if paper else paper_id
    return f"[{md(text)}]({relative(from_page, paper_path(paper_id))})"


def node_link(kb: KnowledgeBase, from_page: str, node_id: str) -> str:
    """Markdown link to a taxonomy page, its label as text."""
    return f"[{md(kb.taxonomy.nodes[node_id].label)}]({relative(from_page, node_path(node_id))})"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table from already-escaped cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return lines


_TITLE_SAFE = str.maketrans({"<": "‹", ">": "›", "&": "＆", '"': "”", "'": "’", "{": "｛", "}": "｝"})


def front_matter(title: str, tags: list[str] | None = None) -> list[str]:
    """YAML front matter with a safe page title (themes print it unescaped in <title>) and tags."""
    lines = ["---", f"title: {json.dumps(visible(title).translate(_TITLE_SAFE), ensure_ascii=False)}"]
    if tags:
        lines.append(f"tags: {json.dumps(tags)}")
    return [*lines, "---", ""]
