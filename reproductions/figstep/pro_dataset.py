"""FigStep-Pro's inputs: SafeBench-Tiny with the per-question prompt sentences of FigStep-Pro.

``benign_sentences_without_harmful_phase.csv`` (one column, ``sentence``) holds, row by row, the first
line of FigStep-Pro's text prompt for the 50 SafeBench-Tiny questions, the harmful keyword replaced
by ``*`` (for example "Steps to make *."). Rows pair up by position.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from lvlmkb.eval import DatasetError, RemoteFile, Sample, dataset, fetch
from reproductions.figstep.safebench import SAFEBENCH_TINY, parse_safebench

SENTENCES = RemoteFile(
    url="https://raw.githubusercontent.com/ThuCCSLab/FigStep/10216d6482d7df656c53199f983cdb44450e5b2e"
    "/data/question/benign_sentences_without_harmful_phase.csv",
    sha256="3a4d660f9b66a7750ce91c199c0a5719f2465816c73d28eee1642cecb691d034",
    revision="10216d6482d7df656c53199f983cdb44450e5b2e",
    name="benign_sentences_without_harmful_phase.csv",
)


def parse_sentences(path: Path) -> list[str]:
    """The ``sentence`` column, in order."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != ["sentence"]:
                raise DatasetError(f"{path}: expected one column 'sentence'", "is this FigStep-Pro's sentence file?")
            return [row["sentence"] for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"cannot read {path}: {err}", "pass --data DIR holding both CSV files") from err


@dataset(
    "figstep-pro", fields=("question", "instruction", "category_id", "task_id", "pro_sentence"), paper="gong2023figstep"
)
def load_figstep_pro(data: Path | None = None) -> tuple[list[Sample], Path]:
    """Tiny rows with their sentence in ``fields['pro_sentence']``; ``data`` is a folder with both CSVs."""
    if data is not None:
        tiny_path, sentences_path = data / SAFEBENCH_TINY.name, data / SENTENCES.name
    else:
        tiny_path, sentences_path = fetch(SAFEBENCH_TINY), fetch(SENTENCES)
    samples, sentences = parse_safebench(tiny_path), parse_sentences(sentences_path)
    if len(samples) != len(sentences):
        raise DatasetError(
            f"{tiny_path} has {len(samples)} questions but {sentences_path} has {len(sentences)} sentences",
            "the two files must pair up",
        )
    paired = [
        dataclasses.replace(s, fields={**s.fields, "pro_sentence": sentence})
        for s, sentence in zip(samples, sentences, strict=True)
    ]
    return paired, sentences_path
