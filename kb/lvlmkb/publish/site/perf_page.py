"""The Performance page: the figures recorded in ``bench/results.json``, or how to record them."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from lvlmkb.kb.schema.bench import BENCH_RESULTS, BenchFigure, BenchResults, MachineFacts
from lvlmkb.publish.escape import md, md_code
from lvlmkb.publish.site.links import table

HOW_TO_RUN = [
    "Record the figures with `python bench/run.py` in a checkout with the `dev` extra installed",
    "(about a minute on two cores); it writes `bench/results.json`, which the next `lvlmkb site build`",
    "shows here. `python bench/run.py --quick` is a smoke run; `--only NAME` runs one measurement.",
]


def performance_page(root: Path) -> str:
    """The page for the checkout at ``root``: a table of the recorded figures and where they were measured."""
    lines = ["# Performance", ""]
    path = root / BENCH_RESULTS
    if not path.is_file():
        return "\n".join([*lines, "No benchmark has been recorded yet.", "", *HOW_TO_RUN, ""])
    try:
        results = BenchResults.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValidationError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        lines += [f"`{BENCH_RESULTS}` could not be read: {md(reason)}", "", *HOW_TO_RUN, ""]
        return "\n".join(lines)
    return "\n".join([*lines, *_summary(results), *_figures(results), *_machine(results.machine), *HOW_TO_RUN, ""])


def _summary(results: BenchResults) -> list[str]:
    lines = [
        f"Measured on {md(results.created)} by `python bench/run.py`; each measurement ran in its own process.",
        "",
    ]
    if results.quick or results.only:
        scope = "a --quick smoke run" if results.quick else "a partial run"
        if results.only:
            scope += " of " + ", ".join(md_code(name) for name in results.only)
        lines += ['!!! warning "Not a full run"', "", f"    These figures come from {scope}.", ""]
    missed = [f for f in results.figures if f.met is False]
    if missed:
        lines += ["Missed targets: " + ", ".join(md_code(f.name) for f in missed) + ".", ""]
    return lines


def _figures(results: BenchResults) -> list[str]:
    rows = [
        [
            f"{md(f.label)} ({md_code(f.name)})",
            f"{_number(f.value)} {md(f.unit)}",
            _target(f),
            {True: "yes", False: "**no**", None: "–"}[f.met],
            f"{f.peak_mib:.0f}" if f.peak_mib is not None else "–",
            md(f.note),
        ]
        for f in results.figures
    ]
    lines = ["## Figures", "", *table(["Figure", "Value", "Target", "Met", "Peak MiB", "How"], rows), ""]
    methods = sorted({f.memory_method for f in results.figures if f.memory_method})
    if methods:
        lines += ["Peak memory is the peak resident set size (ru_maxrss):", "", *[f"- {md(m)}" for m in methods], ""]
    if results.failures:
        failed = [[md_code(name), md(error)] for name, error in sorted(results.failures.items())]
        lines += ["## Failed measurements", "", *table(["Measurement", "Error"], failed), ""]
    return lines


def _machine(machine: MachineFacts) -> list[str]:
    commit = str(machine.git.get("commit") or "")
    dirty = " (uncommitted changes)" if machine.git.get("dirty") else ""
    facts = [
        ["CPUs", str(machine.cpus) if machine.cpus is not None else "unknown"],
        ["Python", md(machine.python)],
        ["torch", md(machine.torch or "not installed")],
        *[[md(name), md(version or "not installed")] for name, version in machine.packages.items() if name != "torch"],
        ["Platform", md(machine.platform)],
        ["Commit", (md_code(commit[:12]) if commit else "unknown") + dirty],
        [
            "Load average before / after (1, 5, 15 min)",
            f"{_load(machine.load_average_before)} / {_load(machine.load_average_after)}",
        ],
    ]
    return ["## Machine", "", *table(["Fact", "Value"], facts), ""]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _target(figure: BenchFigure) -> str:
    if figure.target is None:
        return "–"
    sign = "≤" if figure.better == "lower" else "≥"
    return f"{sign} {_number(figure.target)} {md(figure.unit)}"


def _load(load: tuple[float, float, float] | None) -> str:
    return ", ".join(f"{x:.2f}" for x in load) if load else "unknown"
