"""Run every benchmark measurement, print a table and write ``bench/results.json``.

Usage: python bench/run.py [--quick] [--only NAME ...] [--out PATH]

Each measurement runs in its own subprocess (``python bench/run.py --child NAME``); its peak memory is that
process's own ru_maxrss, read here with ``os.wait4``. A full run writes ``bench/results.json`` (or --out);
a --quick or --only run writes only where --out says, so a smoke run never replaces the recorded figures.
The site's Performance page shows the file. The single scripts (validate_bench.py, ...) still run alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lvlmkb.kb.schema.bench import BenchFigure, MachineFacts

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_OUT = BENCH / "results.json"

# name -> (module in bench/, what it measures)
MEASUREMENTS: dict[str, tuple[str, str]] = {
    "help": ("startup_bench", "`lvlmkb --help` cold start, best of 5 fresh processes"),
    "validate": ("validate_bench", "validate 10,000 synthetic papers vs a bare yaml.CSafeLoader parse"),
    "query": (
        "query_bench",
        "warm `lvlmkb show ID` and `lvlmkb list --year Y` on the index, real KB and 10,000 papers",
    ),
    "site": ("site_bench", "site build of the full KB and README render"),
    "figstep": ("figstep_bench", "FigStep typography images/s"),
    "mm-safetybench": ("mm_safetybench_bench", "MM-SafetyBench TYPO typography images/s"),
    "overhead": ("backend_overhead", "HFBackend.generate vs raw model.generate, tiny Janus and tiny LLaVA"),
    "rerun": ("rerun_bench", "model calls when a finished reproduction is run again"),
}


@dataclass
class ChildResult:
    """What one measurement subprocess returned."""

    figures: list[dict[str, Any]] = field(default_factory=list)
    peak_mib: float = 0.0
    error: str | None = None


def run_child(name: str, quick: bool) -> ChildResult:
    """Run measurement ``name`` in a fresh interpreter; collect its figures and its peak memory."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        result, log = Path(tmp) / "figures.json", Path(tmp) / "log.txt"
        with log.open("wb") as handle:
            args = [*command, "--result", str(result), *(["--quick"] if quick else [])]
            proc = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=REPO)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        peak = usage.ru_maxrss / 1024
        if proc.returncode or not result.is_file():
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-6:]
            return ChildResult(peak_mib=peak, error=f"exit {proc.returncode}: " + " | ".join(tail))
        return ChildResult(json.loads(result.read_text(encoding="utf-8")), peak)


def child_main(name: str, result: Path, quick: bool) -> None:
    """Inside the subprocess: run one measurement and write its figures as JSON."""
    sys.path.insert(0, str(BENCH))
    module = importlib.import_module(MEASUREMENTS[name][0])
    figures = module.measure(quick)
    result.write_text(json.dumps([f.model_dump(mode="json") for f in figures]), encoding="utf-8")


def with_memory(name: str, child: ChildResult, floor_mib: float) -> list[dict[str, Any]]:
    """The child's figures with the measurement name and, unless the figure set its own, the child's peak."""
    method = (
        "ru_maxrss of the measurement's own subprocess, read with os.wait4 "
        f"(at least the {floor_mib:.0f} MiB of the run.py process it was forked from)"
    )
    out = []
    for entry in child.figures:
        entry = {**entry, "measurement": f"{name} (own subprocess)"}
        if entry.get("peak_mib") is None:
            entry.update(peak_mib=round(child.peak_mib, 1), memory_method=method)
        out.append(entry)
    return out


def format_value(value: float) -> str:
    """Three significant digits, without exponents for large numbers."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def table(figures: list[BenchFigure], failures: dict[str, str]) -> str:
    """The printed table: one row per figure, then the failed measurements."""
    header = f"{'figure':30s} {'value':>12s} {'unit':9s} {'target':>9s} {'met':4s} {'peak MiB':>8s}"
    rows = [header, "-" * len(header)]
    for f in figures:
        sign = "≤" if f.better == "lower" else "≥"
        target = f"{sign} {format_value(f.target)}" if f.target is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[f.met]
        peak = f"{f.peak_mib:.0f}" if f.peak_mib is not None else "-"
        rows.append(f"{f.name:30s} {format_value(f.value):>12s} {f.unit:9s} {target:>9s} {met:4s} {peak:>8s}")
    rows += [f"{name:30s} FAILED: {error}" for name, error in failures.items()]
    return "\n".join(rows)


def machine_facts(load_before: tuple[float, float, float]) -> MachineFacts:
    """CPU count, Python, torch and other package versions, platform, git state and load averages."""
    from lvlmkb.eval.run.provenance import environment
    from lvlmkb.kb.schema.bench import MachineFacts

    env = environment(REPO)
    return MachineFacts(
        cpus=os.cpu_count(),
        python=env["python"],
        torch=env["packages"].get("torch"),
        platform=env["platform"],
        packages=env["packages"],
        git=env["git"],
        load_average_before=_rounded(load_before),
        load_average_after=_rounded(os.getloadavg()),
    )


def _rounded(load: tuple[float, float, float]) -> tuple[float, float, float]:
    one, five, fifteen = (round(x, 2) for x in load)
    return one, five, fifteen


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run, not a record")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(MEASUREMENTS),
        metavar="NAME",
        default=[],
        help=f"run only this measurement (repeatable): {', '.join(MEASUREMENTS)}",
    )
    parser.add_argument(
        "--out", type=Path, metavar="PATH", help="where to write the JSON (a full run's default: bench/results.json)"
    )
    parser.add_argument("--child", choices=sorted(MEASUREMENTS), help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the measurements, print the table, write the JSON; exit 1 when a measurement failed."""
    args = parse_args(argv)
    if args.child:
        child_main(args.child, args.result, args.quick)
        return 0
    load_before = os.getloadavg()
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    names = [n for n in MEASUREMENTS if not args.only or n in args.only]
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    entries, failures = [], {}
    for name in names:
        print(f"running {name}: {MEASUREMENTS[name][1]} ...", file=sys.stderr, flush=True)
        child = run_child(name, args.quick)
        if child.error:
            failures[name] = child.error
        entries += with_memory(name, child, floor)
    return report(args, created, load_before, entries, failures)


def report(
    args: argparse.Namespace,
    created: str,
    load_before: tuple[float, float, float],
    entries: list[dict[str, Any]],
    failures: dict[str, str],
) -> int:
    """Validate the figures, print the table and write the record where asked."""
    from lvlmkb.fsio import write_atomic
    from lvlmkb.kb.schema.bench import BenchFigure, BenchResults

    results = BenchResults(
        created=created,
        quick=args.quick,
        only=sorted(set(args.only)),
        machine=machine_facts(load_before),
        figures=[BenchFigure.model_validate(entry) for entry in entries],
        failures=failures,
    )
    print(table(results.figures, failures))
    out = args.out or (None if args.quick or args.only else DEFAULT_OUT)
    if out is None:
        print("not written: a --quick or --only run is written only where --out says", file=sys.stderr)
    else:
        write_atomic(out, results.model_dump_json(indent=2) + "\n")
        print(f"wrote {out}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
