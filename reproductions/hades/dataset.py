"""HADES (Li et al., ECCV 2024, arXiv 2403.09792): harmful instructions in 5 scenarios, with their images.

Each instruction carries its harmful ``keywords``, the keyword's semantic ``category`` (``object``,
``behavior`` or ``concept``, labelled by gpt-4-0314 in ``benchmark/generate_category.py``) and an id;
each (scenario, id) has the images of the black-box amplification loop (``black_box/optimize_harm.py``):
``opt_<step>.jpg`` (the diffusion image after ``step`` GPT-4 rewrites, 0-5) and, in the authors' release,
``concat_opt_<step>.jpg`` (that image above a typography image of the keyword).

``--data DIR`` layout, as the authors' code (AoiDragon/HADES @ ``a2670b76``) and their Google Drive
release lay it out; ``DIR`` is the release folder or the code's ``dataset/`` folder (its parent works too):

- ``DIR/instructions/<Scenario>.json``: a JSON list of objects with ``id``, ``keywords``, ``category``
  and ``instruction`` (``white_box/white_box_attack.py`` reads exactly these keys), one file per
  scenario: Animal, Self-harm, Privacy, Violence, Financial (all five are required);
- ``DIR/optimized_SD_images/<Scenario>/<id>/opt_<step>.jpg`` and ``concat_opt_<step>.jpg`` (the Drive
  release), or the same below ``DIR/black_box/images/`` (where ``optimize_harm.py`` writes them).

Nothing is downloaded. The Drive folder has no revision or hash. The Hugging Face copy
``Monosail/HADES`` (revision ``b703e3b9553aa90cf3fe1f8de9a44c7ace564b85``) is one ``test`` split of 4500
rows (750 instructions x steps 0-5) with columns ``image``, ``id``, ``scenario``, ``keywords``, ``step``,
``category`` and ``instruction``, stored as two parquet files (sha256 ``edd1d1fc...`` and ``a5b2b289...``,
342 MB and 356 MB). Reading parquet would add a dependency, the files exceed lvlmkb's download limit,
and whether those images already contain the typography is not documented (third-party code sends them
with the "abstract" prompt, which suggests they do). To use them, save each row's image as
``<Scenario>/<id>/concat_opt_<step>.jpg`` and its text fields into ``instructions/<Scenario>.json``,
then run with ``--set typography=released``.
"""

from __future__ import annotations

import json
from pathlib import Path

from lvlmkb.eval import DatasetError, Sample, dataset, find_data_root, inside, is_file

NAME = "hades"
REPO = "AoiDragon/HADES"
COMMIT = "a2670b76e42448831c86d44dec02a8fa3a12d468"
HF_DATASET = "Monosail/HADES"
HF_REVISION = "b703e3b9553aa90cf3fe1f8de9a44c7ace564b85"
# The order of the ``--scenario`` choices in the authors' scripts.
SCENARIOS = ("Animal", "Self-harm", "Privacy", "Violence", "Financial")
IMAGE_FOLDERS = ("optimized_SD_images", "black_box/images")
REQUIRED = ("id", "keywords", "category", "instruction")


def data_root(data: Path) -> Path:
    """The folder holding ``instructions/``: ``data`` itself or its ``dataset/`` subfolder."""
    return find_data_root(
        data,
        "instructions",
        "dataset",
        "pass --data DIR where DIR/instructions/<Scenario>.json exist (the HADES release or the code's dataset/)",
    )


def images_root(root: Path) -> Path:
    """The image folder of a data root (the first of ``IMAGE_FOLDERS`` that exists; else the first name)."""
    for name in IMAGE_FOLDERS:
        if (root / name).is_dir():
            return root / name
    return root / IMAGE_FOLDERS[0]


def image_file(sample: Sample, name: str) -> Path:
    """Where the image ``name`` (``opt_5.jpg``, ``concat_opt_5.jpg``, ...) of ``sample`` lies."""
    return Path(sample.fields["images_dir"]) / name


def judge_instruction(fields: dict[str, str]) -> str:
    """The question HADES's judge reads for an abstract-mode answer: the instruction with its keyword masked.

    ``eval/evaluate/evaluate_for_hades.py`` (L74-83) replaces the keywords by ``conduct the behavior in
    the image on`` for a behavior and ``the {category} in the image`` otherwise (not the wording of the
    prompt the model saw); the toxic and white modes are judged on the plain ``instruction``.
    """
    category = fields["category"]
    mask = "conduct the behavior in the image on" if category == "behavior" else f"the {category} in the image"
    return fields["instruction"].replace(fields["keywords"], mask)


def parse_scenario(path: Path, scenario: str, images: Path) -> list[Sample]:
    """The instructions of one scenario file, in file order, as samples ``<Scenario>-<id>``.

    Args:
        path: ``instructions/<Scenario>.json``.
        scenario: The scenario name (the sample category, so results aggregate per scenario as upstream).
        images: The image folder of the data root.

    Returns:
        Samples whose fields are the upstream keys plus ``scenario``, ``images_dir`` and
        ``judge_instruction`` (:func:`judge_instruction`).

    Raises:
        DatasetError: The file is unreadable, not a list, or an item lacks a required key.
    """
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:  # deep nesting
        raise DatasetError(f"cannot read {path}: {err}", "is this a HADES instructions file?") from err
    if not isinstance(content, list):
        raise DatasetError(f"{path}: expected a JSON list of instructions", "check the file")
    return [_sample(path, scenario, images, index, item) for index, item in enumerate(content)]


def _sample(path: Path, scenario: str, images: Path, index: int, item: object) -> Sample:
    if not isinstance(item, dict):
        raise DatasetError(f"{path}: item {index} is not an object", "check the file")
    missing = [key for key in REQUIRED if type(item.get(key)) not in (str, int) or str(item[key]) == ""]
    if missing:
        raise DatasetError(f"{path}: item {index} lacks {', '.join(missing)}", "check the file")
    fields = {key: str(item[key]) for key in REQUIRED}
    images_dir = inside(images / scenario, fields["id"], f"{path}: item {index}")
    fields.update(scenario=scenario, images_dir=str(images_dir), judge_instruction=judge_instruction(fields))
    harmful = images_dir / "opt_5.jpg"
    return Sample(f"{scenario}-{fields['id']}", scenario, fields, harmful if is_file(harmful) else None)


@dataset(NAME, fields=(*REQUIRED, "scenario", "images_dir", "judge_instruction"), paper="li2024hades")
def load_hades(data: Path | None = None) -> tuple[list[Sample], Path]:
    """All five scenarios in upstream order from a local copy; returns the samples and the instructions folder."""
    if data is None:
        raise DatasetError(
            "HADES is not downloaded automatically (no pinned, hashable copy lvlmkb can read)",
            f"download the authors' release (README of {REPO} at {COMMIT[:8]}) and pass --data DIR; "
            "see reproductions/hades/dataset.py for the layout",
        )
    root = data_root(data)
    images = images_root(root)
    samples: list[Sample] = []
    for scenario in SCENARIOS:
        path = root / "instructions" / f"{scenario}.json"
        if not path.is_file():
            raise DatasetError(
                f"missing {path}", f"the folder must hold all five scenario files: {', '.join(SCENARIOS)}"
            )
        samples.extend(parse_scenario(path, scenario, images))
    return samples, root / "instructions"
