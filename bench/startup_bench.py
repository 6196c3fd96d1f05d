"""Cold start of ``lvlmkb --help``: each run is a fresh process; the best of N wall times counts.

Usage: python bench/startup_bench.py [--runs 5]
Target: <= 0.3 s. Also prints the peak memory of the ``lvlmkb`` process (its own ru_maxrss).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from figures import figure

from lvlmkb.kb.schema.bench import BenchFigure

TARGET_S = 0.3


def help_command() -> list[str]:
    """The installed ``lvlmkb`` console script beside this interpreter, else ``python -m lvlmkb``."""
    script = Path(sys.executable).parent.resolve() / "lvlmkb"
    if script.is_file():
        return [str(script), "--help"]
    found = shutil.which("lvlmkb")
    return [found, "--help"] if found else [sys.executable, "-m", "lvlmkb", "--help"]


# Spawns the command from a bare interpreter (about 8 MiB) and reports its wall time and its own ru_maxrss.
# On Linux a child's ru_maxrss includes the memory of the process it was forked from, so spawning the help
# process straight from this (larger) benchmark process would overstate its peak.
LAUNCHER = """\
import os, sys, time
argv = sys.argv[1:]
start = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def one_run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB, the process's own ru_maxrss) of one run of ``command``."""
    proc = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *command], capture_output=True, text=True)
    fields = proc.stdout.split()
    if proc.returncode or len(fields) != 3 or fields[2] != "0":
        raise RuntimeError(f"{' '.join(command)} failed: {proc.stdout.strip()} {proc.stderr.strip()[-500:]}")
    return float(fields[0]), int(fields[1]) / 1024


def cold_start(runs: int) -> tuple[float, float, list[str]]:
    """Best wall time and largest peak memory over ``runs`` fresh processes, and the command run."""
    command = help_command()
    results = [one_run(command) for _ in range(runs)]
    return min(s for s, _ in results), max(m for _, m in results), command


def measure(quick: bool) -> list[BenchFigure]:
    """``lvlmkb --help``, best of 5 (3 with ``quick``); memory is the help process's own."""
    runs = 3 if quick else 5
    best, peak, command = cold_start(runs)
    shown = " ".join(Path(command[0]).name if i == 0 else part for i, part in enumerate(command))
    result = figure(
        "help-cold-start",
        "lvlmkb --help in a fresh process",
        best,
        "s",
        target=TARGET_S,
        note=f"best of {runs} fresh processes",
        detail={"runs": runs, "command": shown},
    )
    memory = {
        "peak_mib": round(peak, 1),
        "memory_method": "ru_maxrss of the help process itself (spawned from a bare interpreter)",
    }
    return [result.model_copy(update=memory)]


def main() -> None:
    """Print the figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    best, peak, command = cold_start(args.runs)
    print(f"{' '.join(command)}: best of {args.runs}: {best:.3f} s (target <= {TARGET_S} s), peak {peak:.0f} MiB")


if __name__ == "__main__":
    main()
