"""Home, taxonomy browser, facets, charts, relation graph, reproductions and results pages."""

from __future__ import annotations

from lvlmkb.errors import LvlmkbError
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.query import facet_counts, node_counts
from lvlmkb.publish.escape import md, md_code
from lvlmkb.publish.site.links import Pages, front_matter, node_link, node_path, paper_link, relative, table

NEWEST = 10


def kb_pages(kb: KnowledgeBase) -> Pages:
    """Every page that is not a single paper."""
    pages = {
        "index.md": home(kb),
        "taxonomy/index.md": taxonomy_index(kb),
        "facets.md": facets_page(kb),
        "charts.md": charts_page(),
        "graph.md": graph_page(kb),
        "reproductions.md": reproductions_page(kb),
        "results.md": results_page(kb),
        "judges.md": judges_page(kb),
    }
    pages.update({node_path(n): node_page(kb, n) for n in kb.taxonomy.nodes})
    return pages


def home(kb: KnowledgeBase) -> str:
    """What lvlmkb is, the counts, the newest papers and how to contribute."""
    counts = node_counts(kb)
    kinds = [[node_link(kb, "index.md", root), str(counts[root])] for root in kb.taxonomy.roots]
    newest = [
        f"- {md(p.date or str(p.year))} · {paper_link(kb, 'index.md', p.id)}" for p in kb.sorted_papers()[:NEWEST]
    ]
    return "\n".join(
        [
            "# lvlmkb: LVLM safety knowledge base",
            "",
            f"**{len(kb.papers)} papers** on the safety of large vision-language models, classified in the lifecycle",
            "taxonomy of *A Survey of Safety on Large Vision-Language Models: Attacks, Defenses and Evaluations*",
            "(arXiv 2502.14881). The category names are a reconstruction from the survey's companion list; the",
            "definitions are our own words.",
            "",
            *table(["Kind", "Papers"], kinds),
            "",
            "![Papers per year and kind](assets/timeline.svg)",
            "",
            "## Newest papers",
            "",
            *newest,
            "",
            "## Browse",
            "",
            "- [Taxonomy](taxonomy/index.md) · [All papers](papers/index.md) · [Tags](tags.md)",
            "- [Facets](facets.md) · [Charts](charts.md) · [Relation graph](graph.md)",
            "- [Reproductions](reproductions.md) · [Results](results.md)",
            "",
            "## Contribute",
            "",
            "Add `papers/<id>.yaml`, run `lvlmkb validate`, and open a pull request:",
            "see [Contributing](contributing.md).",
            "",
        ]
    )


def taxonomy_index(kb: KnowledgeBase) -> str:
    """The whole tree as a diagram and as nested links."""
    counts = node_counts(kb)
    lines = ["# Taxonomy", "", "![The lifecycle taxonomy](../assets/taxonomy.svg)", ""]

    def walk(node_id: str, depth: int) -> None:
        lines.append(f"{'    ' * depth}- {node_link(kb, 'taxonomy/index.md', node_id)} ({counts[node_id]})")
        for child in kb.taxonomy.children[node_id]:
            walk(child, depth + 1)

    for root in kb.taxonomy.roots:
        walk(root, 0)
    return "\n".join([*lines, *_scope_section(kb), ""])


def _scope_section(kb: KnowledgeBase) -> list[str]:
    """What the KB covers and what it leaves out, with reasons (``taxonomy/scope.yaml``)."""
    scope = kb.taxonomy.scope
    if scope is None:
        return []
    lines = ["", "## Scope", "", "In scope: safety, security and privacy papers about", ""]
    lines += [f"- **{md(rule.label)}**: {md(rule.definition)}" for rule in scope.include]
    if scope.exclude:
        lines += ["", "Left out (such papers are listed in [the papers index](../papers/index.md) with a reason):", ""]
        lines += [f"- **{md(rule.label)}**: {md(rule.reason)}" for rule in scope.exclude]
    return lines


def node_page(kb: KnowledgeBase, node_id: str) -> str:
    """Definition, note, ATLAS references, children and the papers of one node's subtree."""
    page = node_path(node_id)
    node = kb.taxonomy.nodes[node_id]
    counts = node_counts(kb)
    trail = " › ".join(node_link(kb, page, n) for n in reversed(kb.taxonomy.ancestors(node_id)))
    lines = [*front_matter(node.label), f"# {md(node.label)}", "", trail, "", md(node.definition), ""]
    if node.note:
        lines += ['!!! note "Provenance"', "", f"    {md(node.note)}", ""]
    if node.atlas:
        lines += ["MITRE ATLAS: " + ", ".join(f"`{a}`" for a in node.atlas), ""]
    children = kb.taxonomy.children[node_id]
    if children:
        lines += ["## Subcategories", "", *[f"- {node_link(kb, page, c)} ({counts[c]})" for c in children], ""]
    subtree = set(kb.taxonomy.subtree(node_id))
    papers = [p for p in kb.sorted_papers() if p.category in subtree]
    lines += [f"## Papers ({len(papers)})", ""]
    lines += [f"- {md(p.date or str(p.year))} · {paper_link(kb, page, p.id)}" for p in papers] or ["None yet."]
    return "\n".join([*lines, ""])


def facets_page(kb: KnowledgeBase) -> str:
    """The facet vocabularies with counts."""
    counts = facet_counts(kb)
    lines = ["# Facets", "", "Vocabularies orthogonal to the taxonomy tree.", ""]
    for facet in kb.taxonomy.facets.values():
        rows = [
            [f"`{v.id}`", md(v.label), md(v.definition), ", ".join(v.atlas), str(counts[facet.id][v.id])]
            for v in facet.values
        ]
        lines += [
            f"## {md(facet.label)}",
            "",
            md(facet.definition),
            "",
            *table(["Value", "Label", "Definition", "ATLAS", "Papers"], rows),
            "",
        ]
    return "\n".join(lines)


def charts_page() -> str:
    """The timeline and the per-category counts."""
    return "\n".join(
        [
            "# Charts",
            "",
            "## Papers per year",
            "",
            "![Papers per year and kind](assets/timeline.svg)",
            "",
            "## Papers per category",
            "",
            "![Papers per category](assets/categories.svg)",
            "",
        ]
    )


def graph_page(kb: KnowledgeBase) -> str:
    """The relation graph as a diagram and as a table."""
    rows = [
        [paper_link(kb, "graph.md", p.id), md(name.replace("_", " ")), paper_link(kb, "graph.md", other)]
        for p in kb.sorted_papers()
        for name, others in p.relations.model_dump().items()
        for other in others
    ]
    return "\n".join(
        [
            "---",
            "search:",
            "  exclude: true",
            "---",
            "",
            "# Relation graph",
            "",
            f"{len(rows)} relations between papers.",
            "",
            "![Relations between papers](assets/relations.svg)",
            "",
            *table(["Paper", "Relation", "Paper"], rows),
            "",
        ]
    )


def reproductions_page(kb: KnowledgeBase) -> str:
    """Every runnable reproduction: its command, paper, parameter card and deviations."""
    from lvlmkb.eval.plugin import Method
    from lvlmkb.eval.registry import load_plugins

    lines = ["# Reproductions", "", "Each parameter names the upstream repository, commit and file it comes from.", ""]
    methods = load_plugins(kb.project.reproductions_dir)
    if not methods:
        return "\n".join([*lines, "No reproduction module is registered yet.", ""])
    for method_id, cls in sorted(methods.items()):
        lines += [f"## {md(method_id)}", "", md((cls.__doc__ or "").strip().splitlines()[0]), ""]
        if cls.paper in kb.papers:
            lines += [f"Paper: {paper_link(kb, 'reproductions.md', cls.paper)}", ""]
        if issubclass(cls, Method):
            command = f"lvlmkb reproduce {method_id} --model MODEL --dataset {cls.default_dataset}"
        else:
            command = f"lvlmkb reproduce ATTACK --model MODEL --defense {method_id}"
        lines += ["```bash", command, "```", ""]
        rows = [[md_code(row["name"]), md_code(row["value"]), md(row["source"])] for row in cls.card()]
        lines += ["### Parameters", "", *table(["Parameter", "Value", "Source"], rows), ""]
        deviations = [[md(d.what), md(d.why)] for d in cls.deviations]
        if deviations:
            lines += ["### Deviations from the original", "", *table(["What", "Why"], deviations), ""]
    return "\n".join(lines)


def results_page(kb: KnowledgeBase) -> str:
    """Reported numbers per benchmark, then reproduced runs beside the paper's number, with their judge."""
    lines = ["# Results", "", "Numbers as the papers published them, with their source.", ""]
    groups: dict[str, list[list[str]]] = {}
    for paper in kb.sorted_papers():
        for r in paper.reported_results:
            row = [
                paper_link(kb, "results.md", paper.id),
                md(r.setting or ""),
                md(r.attack or ""),
                md(r.defense or ""),
                md(r.model),
                md(r.metric),
                f"{r.value:g}",
                md(r.source),
            ]
            groups.setdefault(r.benchmark, []).append(row)
    header = ["Paper", "Setting", "Attack", "Defense", "Model", "Metric", "Reported", "Source"]
    for benchmark, rows in sorted(groups.items()):
        lines += [f"## {md(benchmark)}", "", *table(header, rows), ""]
    if not groups:
        lines += ["No paper in the KB records results yet.", ""]
    return "\n".join([*lines, *_reproduced_section(kb)])


def _reproduced_section(kb: KnowledgeBase) -> list[str]:
    from lvlmkb.eval.run.runs import find_runs
    from lvlmkb.publish.site.run_pages import run_page_path

    runs, unreadable = find_runs(kb.project.root)
    lines = [
        "## Reproduced",
        "",
        "ASR (or the judge's own metric) measured by `lvlmkb reproduce`, per judge (with its list or template hash),",
        "beside the paper's number for the same model and setting and the difference.",
        "",
    ]
    rows = []
    for run in runs:
        record = run.record
        for agg in record.aggregates:
            reported = [r for r in record.reported if r.metric.lower().startswith(agg.metric.lower())]
            ours = 100 * agg.overall.asr
            low, high = (100 * x for x in agg.overall.ci95)
            digest = agg.digest[:12]
            paper_value = reported[0].value if len(reported) == 1 else None
            delta = f"{ours - paper_value:+.1f}" if paper_value is not None else ""
            defense = record.defense.id if record.defense else "none"
            rows.append(
                [
                    md(record.method.id),
                    md(record.method.setting),
                    md(defense),
                    md(record.model.alias),
                    md(record.dataset.name),
                    md(agg.metric),
                    f"{ours:.1f} ({low:.1f}-{high:.1f}), n={agg.overall.n}",
                    f"{paper_value:g}" if paper_value is not None else "",
                    delta,
                    f"{md_code(agg.judge)} {md_code(digest)}",
                    f"[samples]({relative('results.md', run_page_path(kb.project.root, run))})",
                ]
            )
    header = [
        "Attack",
        "Setting",
        "Defense",
        "Model",
        "Dataset",
        "Metric",
        "% (95% CI)",
        "Paper %",
        "Δ",
        "Judge",
        "Run",
    ]
    lines += table(header, rows) if rows else ["No run record in `runs/` yet."]
    if unreadable:
        lines += ["", "Unreadable run records: " + ", ".join(md_code(p) for p in unreadable)]
    return [*lines, ""]


def judges_page(kb: KnowledgeBase | None = None) -> str:
    """A card per registered judge (what it is, its source, its known failure modes), then how far they agree.

    The agreement section covers every run in ``runs/`` that two or more judges read (``lvlmkb rejudge``
    adds judges to a finished run): each pair's Cohen's κ and raw agreement over that run's samples.
    """
    from lvlmkb.eval.judges.cards import JUDGE_CARDS
    from lvlmkb.eval.judges.registry import default_registry

    lines = ["# Judges", "", "Every ASR in lvlmkb is stored with the id of the judge that produced it.", ""]
    for judge_id in default_registry().ids():
        family = max((key for key in JUDGE_CARDS if judge_id.startswith(key)), key=len, default=None)
        lines += [f"## {md_code(judge_id)}", ""]
        if family is None:
            continue
        card = JUDGE_CARDS[family]
        if family != judge_id:
            lines += [f"One template of {md_code(family)}, used alone.", ""]
        lines += [f"**{md(card['name'])}** ({md(card['kind'])})", "", md(card["what"]), ""]
        lines += [f"*Source:* {md(card['source'])}", "", f"*Known failure modes:* {md(card['failure_modes'])}", ""]
    return "\n".join([*lines, *(_agreement_section(kb) if kb is not None else [])])


def _agreement_section(kb: KnowledgeBase) -> list[str]:
    """Pairwise agreement of the judges of each run that several judges read."""
    from lvlmkb.eval.run.agreement import judge_agreement
    from lvlmkb.eval.run.runs import find_runs

    lines = ["## Agreement on the runs in `runs/`", ""]
    rows = []
    runs, _unreadable = find_runs(kb.project.root)
    for run in runs:
        if len(run.record.aggregates) < 2:
            continue
        record = run.record
        try:
            report = judge_agreement([run.folder])
        except LvlmkbError:  # its samples cannot be read: the Results page lists it as unreadable
            continue
        asr = {rate.judge: rate.asr for rate in report.judges}
        where = f"{record.method.id} × {record.model.alias} ({record.dataset.name})"
        for pair in report.pairs:
            kappa = "undefined" if pair.kappa is None else f"{pair.kappa:.3f}"
            judges = " · ".join(f"{md_code(j)} {100 * asr[j]:.1f}%" for j in (pair.first, pair.second))
            rows.append([md(where), judges, kappa, f"{100 * pair.agreement:.1f}%", str(pair.n)])
    if not rows:
        return [*lines, "No run in `runs/` has two judges yet (`lvlmkb rejudge RUN --judge ID` adds one).", ""]
    header = ["Run", "Judges (ASR each)", "Cohen's κ", "Agreement", "n"]
    return [*lines, *table(header, rows), ""]
