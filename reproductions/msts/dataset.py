"""MSTS, the Multimodal Safety Test Suite (Röttger et al., arXiv 2501.10057): text and image, unsafe only together.

``data/prompts/english_multimodal.csv`` of paul-rottger/msts-multimodal-safety (at ``e9ae69e``; no data file
changed since ``048b5b3``, the release the paper links) holds 400 prompts: 200 cases, each asked as an
``assistance`` prompt ("Should I ...?") and an ``intention`` prompt ("I am going to ..."), both with the
case's image. Its columns are ``hazard_category``, ``hazard_subcategory``, ``hazard_subsubcategory``,
``case_id``, ``case_text``, ``unsafe_image_id``, ``unsafe_image_description``, ``prompt_id``, ``prompt_text``
and ``prompt_type``. ``<language>_multimodal.csv`` holds the 200 assistance prompts in each of ten other
languages (no ``prompt_id`` column). The sha256 of the English file at that commit is :data:`ENGLISH_SHA256`.

The images are not in the repository: ``src/0_download_images.py`` fetches each from the URL in
``data/images/unsafe_images.csv`` to ``data/unsafe_images/<unsafe_image_id>.jpg`` (``.jpg`` when the URL
names one, else ``.png``; lines 20-21), and ``src/1_preprocess_images.py`` converts them to RGB and shrinks
any taller than 1,400 px. ``src/2_run_model.py`` L107-114 looks for ``<id>.png`` then ``<id>.jpg`` (the
latter winning). Nothing is downloaded here (the images carry their own licences, and the Hugging Face copy
``felfri/MSTS`` is gated, with no revision pinned): pass ``--data DIR``, the clone's ``data/`` folder (or
the clone) after running those two scripts. Upstream drops a row whose image is missing (L124-126); lvlmkb
refuses such a copy and names the missing images, so a run is never on a silently smaller set.

Two datasets: ``msts`` (English, 400; category: hazard category) and ``msts-multilingual`` (10 x 200;
category: language).
"""

from __future__ import annotations

import csv
from pathlib import Path

from lvlmkb.eval import DatasetError, Sample, dataset, find_data_root, inside, is_file

REPO, COMMIT = "paul-rottger/msts-multimodal-safety", "e9ae69e8f1ab87ab2bb2ed7c51e992e0430f12e3"
ENGLISH_SHA256 = "6a72d35a562dc7a25e5c898d890ef68967433b4ff0456767692614698038298f"
LANGUAGES = ("arabic", "chinese", "farsi", "french", "german", "hindi", "italian", "korean", "russian", "spanish")
REQUIRED = ("hazard_category", "hazard_subcategory", "case_id", "unsafe_image_id", "prompt_text", "prompt_type")
IMAGES = "unsafe_images"
HINT = (
    f"pass --data DIR: the data/ folder of a clone of https://github.com/{REPO} after src/0_download_images.py "
    "and src/1_preprocess_images.py have fetched the images into data/unsafe_images/"
)


def image_of(images: Path, image_id: str, where: str) -> Path | None:
    """The image file of ``image_id``: ``.jpg`` if present, else ``.png`` (2_run_model.py L107-114)."""
    for suffix in (".jpg", ".png"):
        path = inside(images, f"{image_id}{suffix}", where)
        if is_file(path):
            return path
    return None


def parse_prompts(path: Path, images: Path, language: str) -> list[Sample]:
    """The prompts of one ``<language>_multimodal.csv`` in file order, each with its case's image.

    Raises:
        DatasetError: The file is unreadable, a column is missing, a cell is empty, or images are missing
            (all named at once). A repeated id is refused where every dataset's is (``load_dataset``).
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in REQUIRED if name not in (reader.fieldnames or ())]
            if missing:
                raise DatasetError(f"{path}: no column {', '.join(missing)}", "is this an MSTS prompts file?")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    samples = [_sample(path, line, row, images, language) for line, row in enumerate(rows, start=2)]
    absent = sorted({s.fields["unsafe_image_id"] for s in samples if s.image is None})
    if absent:
        shown = ", ".join(absent[:5]) + (" …" if len(absent) > 5 else "")
        raise DatasetError(f"{path}: {len(absent)} image(s) missing from {images}: {shown}", HINT)
    return samples


def _sample(path: Path, line: int, row: dict[str, str | None], images: Path, language: str) -> Sample:
    values = {name: row.get(name) or "" for name in (*REQUIRED, "prompt_id", "hazard_subsubcategory")}
    empty = [name for name in REQUIRED if not values[name].strip()]
    if empty:
        raise DatasetError(f"{path}:{line}: empty {', '.join(empty)}", "check the file")
    prompt_id = values["prompt_id"] or f"{values['case_id']}-{values['prompt_type']}"
    image = image_of(images, values["unsafe_image_id"], f"{path}:{line}")
    fields = {name: values[name] for name in REQUIRED}
    fields.update(question=values["prompt_text"], language=language, prompt_id=prompt_id)
    category = values["hazard_category"] if language == "english" else language
    return Sample(prompt_id if language == "english" else f"{language}-{prompt_id}", category, fields, image)


def _root(data: Path | None) -> Path:
    if data is None:
        raise DatasetError("MSTS is not downloaded automatically (its images come from the web)", HINT)
    return find_data_root(data, "prompts", "data", HINT)


FIELDS = (*REQUIRED, "question", "language", "prompt_id")


@dataset("msts", fields=FIELDS, paper="msts2025")
def load_english(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The 400 English prompts from a local copy; returns the samples and the CSV read."""
    root = _root(data)
    path = root / "prompts" / "english_multimodal.csv"
    return parse_prompts(path, root / IMAGES, "english"), path


@dataset("msts-multilingual", fields=FIELDS, paper="msts2025")
def load_multilingual(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The 200 assistance prompts in each of the ten other languages; returns the samples and the folder read."""
    root = _root(data)
    folder = root / "prompts"
    samples: list[Sample] = []
    for language in LANGUAGES:
        path = folder / f"{language}_multimodal.csv"
        if not path.is_file():
            raise DatasetError(f"missing {path}", "the folder must hold all ten translated prompt files")
        samples += parse_prompts(path, root / IMAGES, language)
    return samples, folder
