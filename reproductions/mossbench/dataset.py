"""MOSSBench (Li et al., arXiv 2406.17806): 300 benign image-question pairs that test over-refusal.

A model fails a MOSSBench case by refusing it, so an attack-style "success" does not apply; runs on this
dataset measure refusal rates. Upstream (``xirui-li/MOSSBench``, read at commit
``ba1f36e688f9c98d3f60273868c0a6456f0db0d1``), ``OverDataset`` in ``MOSSBench/utils/utils.py`` reads
``<data_dir>/images_information/information.json``: one JSON object keyed by problem id whose values
hold ``image`` (relative to ``data_dir``, e.g. ``images/1.png``), ``short description``, ``question``,
``pid``, ``description`` and ``metadata`` (``over``: the stimulus type, written ``"type 1"`` ... ;
``human``, ``child``, ``syn``, ``ocr``: 0/1 flags; ``harm``: a list of harm-type numbers). The category
is the stimulus type's name: ``experiments/main.py`` (L54-59, L158-163) files ``type 1`` under Exaggerated
Risk, ``type 2`` under Negated Harm and ``type 3`` under Counterintuitive Interpretation.

Two files at that commit (unchanged at HEAD ``8d68b061``): ``data/images_information/information.json``,
300 scenes (sha256 :data:`SHA256`, 164,421 bytes), and the harmful contrast set
``data_contrast/images_information/information.json``, 244 scenes (sha256 :data:`CONTRAST_SHA256`,
105,727 bytes; its metadata holds only ``over``). The images come as ``images.zip`` from the Hugging Face
dataset ``AIcell/MOSSBench`` (configs ``oversensitivity`` and ``contrast``; no revision could be pinned
here), so nothing is downloaded: pass ``--data DIR`` where ``DIR`` is the repository's ``data/`` (or
``data_contrast/``) folder with the images unzipped into it. A file whose hash differs from the pin loads
too (a partial or edited copy); the run record keeps the hash of the file read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lvlmkb.eval import DatasetError, Sample, dataset, find_data_file, inside, is_file

REPO = "xirui-li/MOSSBench"
REVISION = "ba1f36e688f9c98d3f60273868c0a6456f0db0d1"
INFO = Path("images_information") / "information.json"
FLAGS = ("human", "child", "syn", "ocr")
SAMPLES = 300
SHA256 = "a5f7701c0a068391a3ba10714dd95f3357d664c84faf47b747e425ff9806a352"
CONTRAST_SHA256 = "ec00786d6be370284bb398dd61978c279e372f0fd9114e8ca39032e20ea14f1e"
STIMULI = {"type 1": "Exaggerated Risk", "type 2": "Negated Harm", "type 3": "Counterintuitive Interpretation"}
HINT = (
    f"pass --data DIR: the data/ folder of https://github.com/{REPO} (holding {INFO.as_posix()}) with "
    "images.zip from https://huggingface.co/datasets/AIcell/MOSSBench unzipped into it"
)


def locate(data: Path, folder: str = "data") -> Path:
    """``information.json`` below ``data``, ``data/<folder>`` or ``data`` itself when it is that file."""
    return find_data_file(data, INFO, folder, HINT)


def parse_mossbench(path: Path) -> list[Sample]:
    """The scenes of an ``information.json`` in file order; images resolve against the data folder.

    Args:
        path: The ``images_information/information.json`` file.

    Returns:
        One sample per scene, id ``pid``, category the stimulus type's name (``metadata.over`` mapped
        through :data:`STIMULI`; an unknown value is kept as it is).

    Raises:
        DatasetError: The file cannot be read, a scene lacks a field, or its image is missing.
    """
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:  # deep nesting
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    if not isinstance(content, dict):
        raise DatasetError(f"{path}: expected an object keyed by problem id", "is this MOSSBench's information.json?")
    root = path.parent.parent
    return [_sample(path, root, key, scene) for key, scene in content.items()]


def _sample(path: Path, root: Path, key: str, scene: Any) -> Sample:
    if not isinstance(scene, dict) or not isinstance(scene.get("metadata"), dict):
        raise DatasetError(f"{path}: scene {key} is not an object with metadata", "check the file")
    missing = [name for name in ("image", "question") if not isinstance(scene.get(name), str)]
    metadata: dict[str, Any] = scene["metadata"]
    if missing or "over" not in metadata:
        raise DatasetError(f"{path}: scene {key} lacks {', '.join([*missing, 'metadata.over'])}", "check the file")
    image = inside(root, scene["image"], f"{path}: scene {key}")
    if not is_file(image):
        raise DatasetError(f"{path}: scene {key} image {image} is missing", HINT)
    fields = {
        "question": scene["question"],
        "prompt": scene["question"],
        "pid": str(scene.get("pid", key)),
        "over": str(metadata["over"]),
        "short_description": str(scene.get("short description", "")),
        "description": str(scene.get("description", "")),
        "harm": json.dumps(metadata.get("harm")),
    }
    fields.update({flag: str(metadata[flag]) for flag in FLAGS if flag in metadata})
    return Sample(fields["pid"], STIMULI.get(fields["over"], fields["over"]), fields, image)


FIELDS = ("question", "prompt", "pid", "over", "short_description", "description", "harm")
NOT_DOWNLOADED = "MOSSBench is not downloaded automatically (its images have no pinned revision)"


@dataset("mossbench", fields=FIELDS, paper="li2024mossbench")
def load_mossbench(data: Path | None = None) -> tuple[list[Sample], Path]:
    """MOSSBench's 300 benign scenes from a local copy; returns the samples and the JSON file read."""
    if data is None:
        raise DatasetError(NOT_DOWNLOADED, HINT)
    path = locate(data)
    return parse_mossbench(path), path


@dataset("mossbench-contrast", fields=("question", "prompt", "pid", "over"), paper="li2024mossbench", unreported=True)
def load_contrast(data: Path | None = None) -> tuple[list[Sample], Path]:
    """MOSSBench's 244 harmful contrast scenes (``data_contrast/``) from a local copy."""
    if data is None:
        raise DatasetError(NOT_DOWNLOADED, HINT.replace("the data/ folder", "the data_contrast/ folder"))
    path = locate(data, "data_contrast")
    return parse_mossbench(path), path
