"""FigStep-Pro's inputs: SafeBench-Tiny, the per-question prompt sentences and the released sub-figures.

``benign_sentences_without_harmful_phase.csv`` (one column, ``sentence``) holds, row by row, the first
line of FigStep-Pro's text prompt for the 50 SafeBench-Tiny questions, the harmful keyword replaced
by ``*`` (for example "Steps to make *."). Rows pair up by position.

``sub-figures.zip`` holds the authors' own images: for SafeBench-Tiny row ``i`` (from 0) the folder
``image_{i}_splits/`` with ``image_{i}_split_{j}.png``, the pieces from left to right (3 to 7 of them).
Each row's ``pieces_dir`` names that folder, extracted once beside the verified zip.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

from lvlmkb.eval import DatasetError, RemoteFile, Sample, cache_dir, dataset, fetch, sha256_file
from reproductions.figstep.safebench import SAFEBENCH_TINY, parse_safebench

SENTENCES = RemoteFile(
    url="https://raw.githubusercontent.com/ThuCCSLab/FigStep/10216d6482d7df656c53199f983cdb44450e5b2e"
    "/data/question/benign_sentences_without_harmful_phase.csv",
    sha256="3a4d660f9b66a7750ce91c199c0a5719f2465816c73d28eee1642cecb691d034",
    revision="10216d6482d7df656c53199f983cdb44450e5b2e",
    name="benign_sentences_without_harmful_phase.csv",
)
SUB_FIGURES = RemoteFile(
    url="https://raw.githubusercontent.com/ThuCCSLab/FigStep/65ff2102e0b2b78e1b5f886661c91ffafeaab6ef"
    "/data/images/FigStep-Pro/sub-figures.zip",
    sha256="340add10cae878249ad9bc30c2b0b0058b487616cdd77d1588242c621f032810",
    revision="65ff2102e0b2b78e1b5f886661c91ffafeaab6ef",
    name="sub-figures.zip",
)
"""The released pieces; the sha256 was computed from the file at that commit (its only version)."""
PIECE = re.compile(r"image_(\d+)_splits/image_\1_split_(\d+)\.png")
MAX_EXTRACTED_BYTES = 64 * 1024 * 1024


def extract_pieces(archive: Path) -> Path:
    """The folder of the released pieces (only ``image_I_splits/...png``), extracted once into lvlmkb's cache.

    The folder is named by the zip's sha256, so a local copy is never written into and two copies of one zip
    share it. A folder ``sub-figures/`` beside ``archive`` (an unpacked copy) is used as it is.

    Raises:
        DatasetError: the zip cannot be read, holds another name, or unpacks to more than 64 MiB.
    """
    unpacked = archive.with_name(archive.stem)
    if unpacked.is_dir():
        return unpacked
    target = cache_dir() / "data" / sha256_file(archive)[:16] / archive.stem
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _unpack(archive, staging)
        staging.rename(target)
    except OSError as err:
        if not target.is_dir():  # not another process that extracted it first
            raise DatasetError(f"cannot unpack {archive} into {target}: {err}", "check the cache folder") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _unpack(archive: Path, staging: Path) -> None:
    """Write the checked members of ``archive`` below ``staging``.

    Raises:
        DatasetError: the zip is not readable (corrupt, encrypted, truncated) or not FigStep-Pro's.
    """
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
            if odd := [m.filename for m in members if not PIECE.fullmatch(m.filename)]:
                raise DatasetError(f"{archive}: unexpected member {odd[0]!r}", "is this FigStep-Pro's sub-figures.zip?")
            if sum(m.file_size for m in members) > MAX_EXTRACTED_BYTES:
                raise DatasetError(f"{archive} unpacks to more than 64 MiB", "is this FigStep-Pro's sub-figures.zip?")
            for member in members:
                path = staging / member.filename
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(bundle.read(member))
    except (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error) as err:
        raise DatasetError(f"cannot read {archive}: {err}", "pass --data DIR holding sub-figures.zip") from err


def pieces_in(split_dir: Path) -> list[Path]:
    """The released pieces in ``split_dir`` (``.../image_{i}_splits``), left to right.

    Raises:
        DatasetError: the folder has no pieces, or their numbers have a gap.
    """
    found = {}
    for path in split_dir.glob("*.png"):
        match = PIECE.fullmatch(f"{split_dir.name}/{path.name}")
        if match:
            found[int(match.group(2))] = path
    if not found or sorted(found) != list(range(len(found))):
        raise DatasetError(f"{split_dir}: no complete set of pieces", "is this FigStep-Pro's sub-figures.zip?")
    return [found[j] for j in range(len(found))]


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
    "figstep-pro",
    fields=("question", "instruction", "category_id", "task_id", "pro_sentence", "pieces_dir"),
    paper="gong2023figstep",
)
def load_figstep_pro(data: Path | None = None) -> tuple[list[Sample], Path]:
    """Tiny rows with their sentence (``pro_sentence``) and released pieces (``pieces_dir``).

    ``data`` is a folder with both CSVs and ``sub-figures.zip`` (or the folder ``sub-figures/`` it unpacks to).
    """
    if data is not None:
        tiny_path, sentences_path = data / SAFEBENCH_TINY.name, data / SENTENCES.name
        archive = data / SUB_FIGURES.name
        if not archive.is_file() and not archive.with_name(archive.stem).is_dir():
            raise DatasetError(f"{data} holds no {SUB_FIGURES.name}", "FigStep-Pro sends the authors' released pieces")
    else:
        tiny_path, sentences_path, archive = fetch(SAFEBENCH_TINY), fetch(SENTENCES), fetch(SUB_FIGURES)
    folder = extract_pieces(archive)
    samples, sentences = parse_safebench(tiny_path), parse_sentences(sentences_path)
    if len(samples) != len(sentences):
        raise DatasetError(
            f"{tiny_path} has {len(samples)} questions but {sentences_path} has {len(sentences)} sentences",
            "the two files must pair up",
        )
    paired = []
    for row, (sample, sentence) in enumerate(zip(samples, sentences, strict=True)):
        pieces = folder / f"image_{row}_splits"
        pieces_in(pieces)  # every row has its pieces
        paired.append(
            dataclasses.replace(sample, fields={**sample.fields, "pro_sentence": sentence, "pieces_dir": str(pieces)})
        )
    return paired, data if data is not None else sentences_path  # a local folder is hashed whole, pieces too
