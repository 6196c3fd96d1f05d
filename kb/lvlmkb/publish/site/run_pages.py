"""A page per run record in ``runs/``: what ran, every judge's ASR with its hash, and every sample.

Each sample row shows the crafted prompt, the response, every judge's verdict and, behind a defense, what
the defense did (its trace from ``samples.jsonl``): a defense's own refusal is marked as such, so it is never
read as the model's. Everything shown comes from the run's files and is escaped as plain text (never as
code, whose braces could reach a template): a model's response is as untrusted as any contributed text.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from lvlmkb.eval.run.records import JudgeAggregate, RecordError, RunRecord, SampleRecord, read_samples
from lvlmkb.eval.run.runs import StoredRun
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.publish.escape import md
from lvlmkb.publish.site.links import Pages, paper_link, relative, table

PROMPT_CHARS = 240
RESPONSE_CHARS = 400
TRACE_CHARS = 400
"""How much of each long text a sample row shows; the full text is in the run's ``samples.jsonl``."""
_SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")


def run_page_path(root: Path, run: StoredRun) -> str:
    """``runs/<method>/<model>/<folder>.md``: the run folder's path under ``runs/``, or a hash of it when odd."""
    parts = run.folder.relative_to(root / "runs").parts
    if parts and all(_SAFE_PART.fullmatch(part) for part in parts):
        return "runs/" + "/".join(parts) + ".md"
    digest = hashlib.sha256("/".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"runs/run-{digest}.md"


def run_pages(kb: KnowledgeBase, runs: list[StoredRun]) -> Pages:
    """Every run's page, keyed by its path in the docs folder."""
    return {run_page_path(kb.project.root, run): run_page(kb, run) for run in runs}


def run_page(kb: KnowledgeBase, run: StoredRun) -> str:
    """The page of one run: its facts, judges, published numbers, deviations and samples."""
    record, page = run.record, run_page_path(kb.project.root, run)
    defense = f" behind {md(record.defense.id)}" if record.defense else ""
    lines = [
        f"# {md(record.method.id)}{defense} × {md(record.model.alias)}",
        "",
        f"[All results]({relative(page, 'results.md')}) · paper {_paper(kb, page, record.method.paper)}",
        "",
        *table(["What", "Value"], _facts(record, run.folder.relative_to(kb.project.root).as_posix())),
        "",
        "## ASR per judge",
        "",
        *table(["Judge", "List or template sha256", "Metric", "% (95% CI)", "n", "Added"], _judge_rows(record)),
        "",
        *_reported(record),
        *_deviations(record),
        *_samples(run.folder, record),
    ]
    return "\n".join(lines) + "\n"


def _paper(kb: KnowledgeBase, page: str, paper_id: str) -> str:
    """A link to the paper when the KB has it; the record's text, escaped, when not (a record is not trusted)."""
    return paper_link(kb, page, paper_id) if paper_id in kb.papers else md(paper_id)


def _facts(record: RunRecord, folder: str) -> list[list[str]]:
    """What ran, where it came from and how many requests it cost."""
    method = record.method
    generation = record.generation
    counts = record.counts
    rows = [
        ["Run folder", md(folder)],
        ["Method", f"{md(method.id)} v{md(method.version)} ({md(method.kind)}), "
                   f"setting {md(method.setting)}"],
        ["Defense", f"{md(record.defense.id)} v{md(record.defense.version)}" if record.defense else "none"],
        ["Model", f"{md(record.model.alias)}: {md(record.model.checkpoint or '-')} "
                  f"revision {md(record.model.revision or '-')}, backend {md(record.model.backend)}"],
        ["Dataset", f"{md(record.dataset.name)}, {record.dataset.samples} rows, limit "
                    f"{record.dataset.limit if record.dataset.limit is not None else 'none'}, "
                    f"sha256 {md(record.dataset.sha256)}"],
        ["Generation", f"max_new_tokens {generation.max_new_tokens}, temperature {generation.temperature:g}, "
                       f"top_p {generation.top_p:g}, seed {generation.seed}, batch {generation.batch_size}"],
        ["Requests", f"{counts.samples} samples, {counts.unique_requests} unique requests; last invocation: "
                     f"{_count(counts.generated)} generated, {_count(counts.model_requests)} sent to the model "
                     f"(a defense's own checks included), {_count(counts.from_shared_cache)} from the shared cache"],
        ["Configuration", md(json.dumps(method.config, sort_keys=True, ensure_ascii=False))],
        ["Fingerprint", md(record.fingerprint or "-")],
        ["Created", f"{md(record.created)}, lvlmkb commit {md(record.provenance.git.commit or 'unknown')}"],
    ]  # fmt: skip
    if record.defense:
        rows.append(["Defense configuration", md(json.dumps(record.defense.config, sort_keys=True))])
    return rows


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def _judge_rows(record: RunRecord) -> list[list[str]]:
    return [_judge_row(agg) for agg in record.aggregates]


def _judge_row(agg: JudgeAggregate) -> list[str]:
    low, high = (100 * x for x in agg.overall.ci95)
    return [
        md(agg.judge),
        md(agg.digest or "-"),
        md(agg.metric),
        f"{100 * agg.overall.asr:.1f} ({low:.1f}-{high:.1f})",
        str(agg.overall.n),
        f"later, {md(agg.rejudged)}" if agg.rejudged else "in the run",
    ]


def _reported(record: RunRecord) -> list[str]:
    if not record.reported:
        return ["The KB records no published number for this model and method.", ""]
    rows = [
        [md(r.paper), md(r.benchmark), md(r.setting or ""), md(r.metric), f"{r.value:g}", md(r.source)]
        for r in record.reported
    ]
    return [
        "## Published numbers",
        "",
        *table(["Paper", "Benchmark", "Setting", "Metric", "Value", "Source"], rows),
        "",
    ]


def _deviations(record: RunRecord) -> list[str]:
    plugins = [record.method, *([record.defense] if record.defense else [])]
    items = [f"- {md(p.id)}: {md(d.what)} ({md(d.why)})" for p in plugins for d in p.deviations]
    return ["## Deviations from the original", "", *(items or ["None recorded."]), ""]


def _samples(folder: Path, record: RunRecord) -> list[str]:
    lines = ["## Samples", ""]
    path = folder / "samples.jsonl"
    if path.is_symlink() or not path.is_file():  # nothing is read through a link (see find_runs)
        return [*lines, "The samples file is missing or a link; it is not read.", ""]
    try:
        rows = read_samples(path)
    except (OSError, RecordError) as err:
        return [*lines, f"The samples cannot be read: {md(str(err))}", ""]
    judges = [agg.judge for agg in record.aggregates]
    header = ["Sample", "Category", "Prompt", "Response", *[md(j) for j in judges]]
    if record.defense:
        header.append("What the defense did")
    body = [_sample_row(row, judges, record.defense is not None) for row in rows]
    return [*lines, *table(header, body), ""]


def _sample_row(row: SampleRecord, judges: list[str], defended: bool) -> list[str]:
    verdicts = [_verdict(row, judge) for judge in judges]
    cells = [md(row.sample_id), md(row.category), _short(row.prompt, PROMPT_CHARS)]
    cells += [_short(row.response, RESPONSE_CHARS), *verdicts]
    if defended:
        cells.append(_trace(row))
    return cells


def _verdict(row: SampleRecord, judge: str) -> str:
    verdict = row.verdicts.get(judge)
    if verdict is None:
        return "-"
    return f"{'success' if verdict.success else 'no'} ({md(verdict.label)})"


def _trace(row: SampleRecord) -> str:
    """The defense's trace: its own refusal first, then what it recorded."""
    if row.defense is None:
        return "not recorded (generated before traces were kept)"
    refused = "**refused by the defense** · " if row.defense.get("refused_by_defense") else ""
    shown = {k: v for k, v in row.defense.items() if k not in {"defense", "refused_by_defense"}}
    return refused + _short(json.dumps(shown, sort_keys=True, ensure_ascii=False), TRACE_CHARS)


def _short(text: str, limit: int) -> str:
    """``text`` escaped, cut to ``limit`` characters with an ellipsis."""
    return md(text if len(text) <= limit else text[:limit] + "…")
