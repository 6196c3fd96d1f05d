"""MOSSBench (Li et al., arXiv 2406.17806): 300 benign image-question pairs that test over-refusal.

A model fails a MOSSBench case by refusing it, so an attack-style "success" does not apply; runs on this
dataset measure refusal rates. Upstream (``xirui-li/MOSSBench``, read at commit
``ba1f36e688f9c98d3f60273868c0a6456f0db0d1``), ``OverDataset`` in ``MOSSBench/utils/utils.py`` reads
``<data_dir>/images_information/information.json``: one JSON object keyed by problem id whose values
hold ``image`` (relative to ``data_dir``, e.g. ``images/1.png``), ``short description``, ``question``,
``pid``, ``description`` and ``metadata`` (``over``: the stimulus type, written ``"type 1"`` ... ;
``human``, ``child``, ``syn``, ``ocr``: 0/1 flags; ``harm``: a list of harm-type numbers). The README
names the three stimulus types Exaggerated Risk, Negated Harm and Counterintuitive Interpretation; which
``type N`` is which is not stated in the files read, so the raw value is kept as the category.

The JSON file (about 165 kB) could not be hashed byte for byte from the copy read here and the images
come as ``images.zip`` from the Hugging Face dataset ``AIcell/MOSSBench``; nothing is downloaded: pass
``--data DIR`` where ``DIR`` is the repository's ``data/`` folder with the images unzipped into it.
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
HINT = (
    f"pass --data DIR: the data/ folder of https://github.com/{REPO} (holding {INFO.as_posix()}) with "
    "images.zip from https://huggingface.co/datasets/AIcell/MOSSBench unzipped into it"
)


def locate(data: Path) -> Path:
    """``information.json`` below ``data``, ``data/data`` or ``data`` itself when it is that file."""
    return find_data_file(data, INFO, "data", HINT)


def parse_mossbench(path: Path) -> list[Sample]:
    """The scenes of an ``information.json`` in file order; images resolve against the data folder.

    Args:
        path: The ``images_information/information.json`` file.

    Returns:
        One sample per scene, id ``pid``, category the stimulus type (``metadata.over``).

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
    return Sample(fields["pid"], fields["over"], fields, image)


@dataset(
    "mossbench",
    fields=("question", "prompt", "pid", "over", "short_description", "description", "harm"),
    paper="li2024mossbench",
)
def load_mossbench(data: Path | None = None) -> tuple[list[Sample], Path]:
    """MOSSBench from a local copy; returns the samples and the JSON file read."""
    if data is None:
        raise DatasetError("MOSSBench is not downloaded automatically (no file hash could be pinned)", HINT)
    path = locate(data)
    return parse_mossbench(path), path
