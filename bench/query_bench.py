"""Warm ``lvlmkb show ID`` and ``lvlmkb list --year Y`` on the compiled index: the real KB and 10,000 papers.

Usage: python bench/query_bench.py [--papers 10000] [--runs 5]

Each timed run is a fresh ``lvlmkb`` process (spawned from a bare interpreter, stdout to /dev/null, so
not a terminal), after an untimed run that builds the index and one that finds it warm. The real KB is
a copy of the checkout's taxonomy, papers and reproductions, so edits elsewhere cannot trigger a rebuild
mid-measurement. Targets: <= 0.3 s at the real KB (about 450 papers), <= 0.6 s at 10,000 papers.

A third figure per KB is the first ``show`` after one paper's bytes changed: the rebuild reuses the
parses and rows of the other files (``lvlmkb.kb.parsecache``). Its target is 0.8x the cold build measured
just before (no fixed figure: the two are taken on the same machine, minutes apart).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from figures import figure
from startup_bench import help_command, one_run
from synthetic import REPO, build_kb

from lvlmkb.kb.index.inputs import RACY_NS
from lvlmkb.kb.schema.bench import BenchFigure
from lvlmkb.kb.validate import validate

TARGETS = {"real": 0.3, "synthetic": 0.6}
SHOW_ID = "gong2023figstep"


def copy_real_kb(root: Path) -> Path:
    """The checkout's taxonomy, papers and reproductions under ``root``."""
    for name in ("taxonomy", "papers", "reproductions"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def targets_of(root: Path) -> tuple[str, int, int]:
    """The paper to show, the year to list (the one with most papers), and the paper count."""
    kb = validate_kb(root)
    ids = sorted(kb)
    paper = SHOW_ID if SHOW_ID in kb else ids[len(ids) // 2]
    year, _ = Counter(kb.values()).most_common(1)[0]
    return paper, year, len(kb)


def validate_kb(root: Path) -> dict[str, int]:
    """Paper id -> year of the KB at ``root``."""
    from lvlmkb.project import Project

    return {p.id: p.year for p in validate(Project(root)).kb.papers.values()}


def lvlmkb(*args: str) -> list[str]:
    """The ``lvlmkb`` command line for ``args``."""
    return [*help_command()[:-1], *args]


def build_index(root: Path) -> float:
    """Seconds of the first query at ``root`` (validation and index build), then let the stats settle."""
    cold, _ = one_run(lvlmkb("stats", "--root", str(root)))
    time.sleep(RACY_NS / 1e9 + 0.1)  # past the window in which fresh files are hashed on every call
    one_run(lvlmkb("stats", "--root", str(root)))  # records the settled stats
    return cold


def warm_best(command: list[str], runs: int) -> tuple[float, float]:
    """The best seconds and the largest peak MiB of ``command`` over ``runs`` runs, after one untimed run."""
    one_run(command)
    results = [one_run(command) for _ in range(runs)]
    return min(s for s, _ in results), max(m for _, m in results)


def measure_kb(kind: str, root: Path, runs: int) -> list[BenchFigure]:
    """The two figures for the KB at ``root``."""
    paper, year, count = targets_of(root)
    cold = build_index(root)
    figures = []
    for name, args in (("show", ("show", paper)), ("list", ("list", "--year", str(year)))):
        best, peak = warm_best(lvlmkb(*args, "--root", str(root)), runs)
        shown = " ".join(["lvlmkb", *args])
        result = figure(
            f"query-{name}-{kind}",
            f"warm `{shown}`, {count:,} papers",
            best,
            "s",
            target=TARGETS[kind],
            note=f"best of {runs} fresh processes, stdout not a terminal; the index was built first",
            detail={"papers": count, "command": shown, "index_build_s": round(cold, 3), "runs": runs},
        )
        memory = {"peak_mib": round(peak, 1), "memory_method": "ru_maxrss of the lvlmkb process itself"}
        figures.append(result.model_copy(update=memory))
    figures.append(one_edit_figure(kind, root, paper, count, cold))
    return figures


def one_edit_figure(kind: str, root: Path, paper: str, count: int, cold: float) -> BenchFigure:
    """Seconds of the first ``show`` after one paper file's bytes changed (a comment line appended)."""
    path = next((root / "papers").rglob(f"{paper}.yaml"))
    with path.open("a", encoding="utf-8") as handle:
        handle.write("# edited by the benchmark\n")
    past = time.time() - 10
    os.utime(path, (past, past))
    seconds, _ = one_run(lvlmkb("show", paper, "--root", str(root)))
    return figure(
        f"index-one-edit-{kind}",
        f"`lvlmkb show` after one edit (incremental rebuild), {count:,} papers",
        seconds,
        "s",
        target=round(0.8 * cold, 3),
        note="one fresh process; target 0.8x the cold build of the same KB measured just before",
        detail={"papers": count, "cold_build_s": round(cold, 3), "index_build_s": round(cold, 3)},
    )


def measure_all(papers: int, runs: int) -> list[BenchFigure]:
    """Figures at a copy of the real KB and at ``papers`` synthetic papers."""
    with tempfile.TemporaryDirectory() as real, tempfile.TemporaryDirectory() as synthetic:
        figures = measure_kb("real", copy_real_kb(Path(real)), runs)
        build_kb(Path(synthetic), papers)
        return figures + measure_kb("synthetic", Path(synthetic), runs)


def measure(quick: bool) -> list[BenchFigure]:
    """Show and list, warm, at the real KB and at 10,000 synthetic papers (1,000 and 3 runs with ``quick``)."""
    return measure_all(1_000, 3) if quick else measure_all(10_000, 5)


def main() -> None:
    """Print the figures beside their targets."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for f in measure_all(args.papers, args.runs):
        met = "met" if f.met else "NOT met"
        cold = f.detail["index_build_s"]
        print(f"{f.label:55s} {f.value:6.3f} s  (target <= {f.target} s: {met}; first call, building: {cold} s)")


if __name__ == "__main__":
    main()
