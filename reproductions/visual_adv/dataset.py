"""The evaluation instructions of Qi et al.'s visual adversarial examples (AAAI 2024, arXiv 2306.13213).

Upstream, ``harmful_corpus/manual_harmful_instructions.csv`` holds 40 instructions, one per row, with no
header: each line is a double-quoted instruction followed by a trailing comma, and the test script
(``minigpt_test_manual_prompts_visual_llm.py``) reads it with ``csv.reader`` and keeps the first column.
This loader reads the same format (a first row that is exactly ``instruction`` counts as a header).

lvlmkb does not download the file: its sha256 could not be established from a byte-exact copy, and the
list is the user's to choose. Pass ``--data PATH`` to the authors' file or to any list in this format.
"""

from __future__ import annotations

import csv
from pathlib import Path

from lvlmkb.eval import DatasetError, Sample, dataset

NAME = "visual-adv-instructions"
CATEGORY = "manual"
UPSTREAM_URL = (
    "https://raw.githubusercontent.com/Unispac/Visual-Adversarial-Examples-Jailbreak-Large-Language-Models/"
    "5fc9883cfa9b4183cf05c6eceef49e449e45e9c9/harmful_corpus/manual_harmful_instructions.csv"
)


def parse_instructions(path: Path) -> list[Sample]:
    """Read an instruction list: one instruction per CSV row, in the first column, no header needed.

    Args:
        path: A CSV file in the upstream format.

    Returns:
        One sample per instruction, ids ``"1"``, ``"2"``, ... in file order, the text in ``fields["instruction"]``.

    Raises:
        DatasetError: The file cannot be read, a row has an empty first column, or there is no instruction.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [(line, row) for line, row in enumerate(csv.reader(handle), start=1) if row]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"cannot read {path}: {err}", "pass --data PATH to a UTF-8 CSV of instructions") from err
    if rows and rows[0][1][0].strip().lower() == "instruction":
        rows = rows[1:]
    samples: list[Sample] = []
    for line, row in rows:
        if not row[0].strip():
            raise DatasetError(f"{path}:{line}: the instruction (first column) is empty", "remove or fill the row")
        samples.append(Sample(str(len(samples) + 1), CATEGORY, {"instruction": row[0]}))
    if not samples:
        raise DatasetError(f"{path} holds no instruction", "put one instruction per row, in the first column")
    return samples


@dataset(NAME, fields=("instruction",), paper="qi2023visualadv")
def load_instructions(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The instructions in ``data`` (required: lvlmkb ships and downloads none); returns them and the file read."""
    if data is None:
        raise DatasetError(
            f"dataset '{NAME}' is the user's list of evaluation instructions and is not downloaded",
            f"pass --data PATH: the authors' 40 instructions are at {UPSTREAM_URL}, or use your own list "
            "(one instruction per CSV row, first column)",
        )
    return parse_instructions(data), data
