"""AdvBench's 520 harmful behaviours as UMK ships them (``harmful_corpus/harmful_behaviors.csv``).

roywang021/UMK at ``b41a208`` holds the file (header ``goal,target``; sha256 :data:`SHA256`, computed from
the repository's history); ``minigpt_test_advbench.py`` reads it with ``csv.reader``, skips the header and
sends each ``goal`` (L99-110). lvlmkb downloads it from that commit on first use and checks the hash;
``--data PATH`` reads a local copy in the same format. Every behaviour's category is ``advbench``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from lvlmkb.eval import DatasetError, RemoteFile, Sample, dataset, fetch

REPO, COMMIT = "roywang021/UMK", "b41a20851502d9b6e792c7a031d09150263358ae"
SHA256 = "6cd1a5c63c07610d7eb67307772ee5606017ee950b5770ab288a2c487489d3e1"
BEHAVIORS = RemoteFile(
    url=f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/harmful_corpus/harmful_behaviors.csv",
    sha256=SHA256,
    revision=COMMIT,
    name="harmful_behaviors.csv",
)


def parse_behaviors(path: Path) -> list[Sample]:
    """The behaviours of an AdvBench CSV in file order, ids ``1``, ``2``, ...; ``goal`` is the instruction.

    Raises:
        DatasetError: The file cannot be read, lacks the ``goal`` and ``target`` columns, or a goal is empty.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if not {"goal", "target"} <= set(reader.fieldnames or ()):
                raise DatasetError(f"{path}: expected columns goal,target", "is this AdvBench's harmful_behaviors.csv?")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"cannot read {path}: {err}", "pass --data PATH to harmful_behaviors.csv (UTF-8)") from err
    samples = []
    for number, row in enumerate(rows, start=1):
        goal = row.get("goal") or ""
        if not goal.strip():
            raise DatasetError(f"{path}:{number + 1}: empty goal", "check the CSV row")
        fields = {"instruction": goal, "goal": goal, "target": row.get("target") or "", "question": goal}
        samples.append(Sample(str(number), "advbench", fields))
    return samples


@dataset("advbench-behaviors", fields=("instruction", "goal", "target", "question"), paper="wang2024universalmaster")
def load_behaviors(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The 520 behaviours from ``data`` or from UMK's pinned copy; returns them and the file read."""
    path = data if data is not None else fetch(BEHAVIORS)
    return parse_behaviors(path), path
