"""Charts and diagrams as standalone SVG, drawn at build time (no JavaScript, nothing fetched)."""

from __future__ import annotations

import math

from lvlmkb.kb.graph import RELATION_FIELDS
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.query import node_counts, year_kind_counts
from lvlmkb.publish.escape import svg_text

KIND_COLOURS = {"attack": "#c0392b", "defense": "#2471a3", "evaluation": "#7d6608"}
RELATION_COLOURS = {
    "evaluated_on": "#7d6608",
    "compared_with": "#888888",
    "defends_against": "#2471a3",
    "extends": "#6c3483",
}


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    )
    return "\n".join([head, f"<title>{svg_text(title)}</title>", *body, "</svg>"]) + "\n"


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 12, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-family="sans-serif" '
        f'font-size="{size}"{weight}>{svg_text(text)}</text>'
    )


def _legend(x: int, y: int, colours: dict[str, str]) -> list[str]:
    body: list[str] = []
    for index, (name, colour) in enumerate(colours.items()):
        top = y + index * 18
        body.append(f'<rect x="{x}" y="{top}" width="12" height="12" fill="{colour}"/>')
        body.append(_text(x + 18, top + 10, name.replace("_", " ")))
    return body


def timeline_chart(kb: KnowledgeBase) -> str:
    """Stacked bars: papers per venue year, split by kind."""
    table = year_kind_counts(kb)
    years = list(table)
    peak = max((sum(row.values()) for row in table.values()), default=1)
    width, height, left, bottom, top = 120 + 70 * max(len(years), 1), 300, 50, 40, 20
    scale = (height - bottom - top) / peak
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 110}" y2="{height - bottom}" stroke="#444"/>']
    for tick in range(0, peak + 1, max(1, peak // 5)):
        y = height - bottom - tick * scale
        body.append(_text(left - 6, y + 4, str(tick), "end"))
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 110}" y2="{y:.1f}" stroke="#ddd"/>')
    for index, year in enumerate(years):
        x, base = left + 20 + index * 70, float(height - bottom)
        for kind, colour in KIND_COLOURS.items():
            count = table[year][kind]
            if count:
                bar = f'x="{x}" y="{base - count * scale:.1f}" width="40" height="{count * scale:.1f}"'
                body.append(f'<rect {bar} fill="{colour}"><title>{year} {kind}: {count}</title></rect>')
                base -= count * scale
        body.append(_text(x + 20, height - bottom + 16, str(year), "middle"))
        body.append(_text(x + 20, base - 4, str(sum(table[year].values())), "middle"))
    body += _legend(width - 100, top, KIND_COLOURS)
    return _svg(width, height, body, "Papers per year and kind")


def category_chart(kb: KnowledgeBase) -> str:
    """Horizontal bars: papers per taxonomy leaf, coloured by kind."""
    counts = node_counts(kb)
    leaves = kb.taxonomy.leaves
    peak = max((counts[leaf] for leaf in leaves), default=1) or 1
    label_width, bar_width, row = 300, 360, 20
    height = 20 + row * len(leaves)
    body: list[str] = []
    for index, leaf in enumerate(leaves):
        y = 10 + index * row
        colour = KIND_COLOURS.get(kb.taxonomy.kind_of(leaf) or "", "#999")
        length = bar_width * counts[leaf] / peak
        body.append(_text(label_width - 8, y + 13, kb.taxonomy.nodes[leaf].label, "end"))
        body.append(f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="14" fill="{colour}"/>')
        body.append(_text(label_width + length + 6, y + 14, str(counts[leaf])))
    return _svg(label_width + bar_width + 60, height, body, "Papers per category")


def taxonomy_tree(kb: KnowledgeBase) -> str:
    """The lifecycle tree as an indented diagram with counts."""
    counts = node_counts(kb)
    rows: list[tuple[str, int]] = []

    def walk(node_id: str, depth: int) -> None:
        rows.append((node_id, depth))
        for child in kb.taxonomy.children[node_id]:
            walk(child, depth + 1)

    for root in kb.taxonomy.roots:
        walk(root, 0)
    row, indent = 22, 28
    positions = {node_id: (16 + depth * indent, 20 + index * row) for index, (node_id, depth) in enumerate(rows)}
    body: list[str] = []
    for node_id, (x, y) in positions.items():
        parent = kb.taxonomy.nodes[node_id].parent
        if parent in positions:
            px, py = positions[parent]
            body.append(f'<path d="M{px + 4},{py + 4} V{y} H{x - 2}" fill="none" stroke="#999"/>')
        colour = KIND_COLOURS.get(kb.taxonomy.kind_of(node_id) or "", "#999")
        body.append(f'<circle cx="{x + 2}" cy="{y}" r="4" fill="{colour}"/>')
        label = f"{kb.taxonomy.nodes[node_id].label} ({counts[node_id]})"
        body.append(_text(x + 12, y + 4, label, bold=node_id in kb.taxonomy.roots))
    return _svg(620, 30 + row * len(rows), body, "The lifecycle taxonomy")


def relation_graph_svg(kb: KnowledgeBase) -> str:
    """Papers that have relations, on a circle grouped by kind, with one line per relation."""
    edges = [
        (p.id, other, name)
        for p in kb.sorted_papers()
        for name in RELATION_FIELDS
        for other in getattr(p.relations, name)
        if other in kb.papers
    ]
    involved = sorted({n for a, b, _ in edges for n in (a, b)}, key=lambda i: (kb.papers[i].kind, i))
    size, radius = 900, 330
    centre = size / 2
    positions: dict[str, tuple[float, float]] = {}
    for index, paper_id in enumerate(involved):
        angle = 2 * math.pi * index / max(len(involved), 1)
        positions[paper_id] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle))
    body: list[str] = []
    for source, target, name in edges:
        (x1, y1), (x2, y2) = positions[source], positions[target]
        ends = f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"'
        body.append(f'<line {ends} stroke="{RELATION_COLOURS[name]}" stroke-opacity="0.6"/>')
    for paper_id, (x, y) in positions.items():
        angle = math.degrees(math.atan2(y - centre, x - centre))
        flip = abs(angle) > 90
        rotation = angle + 180 if flip else angle
        anchor = "end" if flip else "start"
        offset = -8 if flip else 8
        colour = KIND_COLOURS[kb.papers[paper_id].kind]
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
        label = _text(offset, 4, paper_id, anchor, size=10)
        body.append(f'<g transform="translate({x:.1f},{y:.1f}) rotate({rotation:.1f})">{label}</g>')
    body += _legend(10, 10, {**KIND_COLOURS, **RELATION_COLOURS})
    return _svg(size, size, body, "Relations between papers")
