"""FC-Attack's 50 goals, read from its released flowcharts (ZZYHKUSTGZ/FC_Attack ``data_flowchart/``).

Each ``data_flowchart/<layout>/folder_<k>/<i>.dot`` (``i`` from 0 to 49) holds the goal as the label of its
``goal`` node, wrapped over several lines and ending in a period; the goals are PAIR's
``harmful_behaviors_custom.csv`` in order (index-aligned once that period is dropped). The judge is given the
goal, so the loader reads it from ``vertical/folder_4/<i>.dot`` and joins its lines with spaces. Nothing is
downloaded: pass ``--data DIR``, a clone of the repository (or its ``data_flowchart/`` folder).
"""

from __future__ import annotations

import re
from pathlib import Path

from lvlmkb.eval import DatasetError, Sample, dataset, find_data_root

REPO, COMMIT = "ZZYHKUSTGZ/FC_Attack", "84e698837c80e63f93b9c96aec2e70b231766f1b"
GOAL = re.compile(r'^\s*goal \[label="((?:[^"\\]|\\.)*)"', re.MULTILINE)
HINT = f"pass --data DIR: a clone of https://github.com/{REPO} (or its data_flowchart/ folder)"


def goal_of(path: Path) -> str:
    """The goal label of one ``.dot`` file, its lines joined by spaces and its final period dropped.

    Raises:
        DatasetError: the file is unreadable or has no goal node.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    found = GOAL.search(text)
    if found is None:
        raise DatasetError(f"{path}: no goal node", "is this one of FC-Attack's flowcharts?")
    goal = " ".join(found.group(1).replace('\\"', '"').split())
    return goal.removesuffix(".")


def parse_flowcharts(root: Path) -> list[Sample]:
    """One sample per ``vertical/folder_4/<i>.dot``, in numeric order; ``folder`` is ``root`` for the attack."""
    folder = root / "vertical" / "folder_4"
    names = sorted((p for p in folder.glob("*.dot") if p.stem.isdigit()), key=lambda p: int(p.stem))
    if not names:
        raise DatasetError(f"{folder} holds no flowchart", HINT)
    return [
        Sample(p.stem, "advbench", {"goal": goal_of(p), "question": goal_of(p), "item": p.stem, "folder": str(root)})
        for p in names
    ]


@dataset("fc-attack-flowcharts", fields=("goal", "question", "item", "folder"), paper="zhang2025fc")
def load_flowcharts(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The 50 goals from a local copy of the flowcharts; returns the samples and the folder read."""
    if data is None:
        raise DatasetError("FC-Attack's flowcharts are not downloaded automatically (1,200 files)", HINT)
    root = find_data_root(data, "vertical", "data_flowchart", HINT)
    return parse_flowcharts(root), root
