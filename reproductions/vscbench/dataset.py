"""VSCBench's image-centric set (Geng et al., ACL 2025 Findings, arXiv 2505.20362): one query, safe and unsafe images.

``vscbench_image_centric.xlsx`` of jiahuigeng/VSCBench (at ``426fa1f``, sha256 :data:`SHA256`) has one row
per query with columns ``Category``, ``Prompt``, ``safe_img_0..2`` and ``unsafe_img_0..2``: 300 queries in
six categories, each asked with three safe and three unsafe images (1,800 pairs). The images are a Google
Drive archive the README links, with no checksum or version, so nothing is downloaded: pass ``--data DIR``
holding the workbook and ``vscbench_image_centric_images/<Category>/<file>`` (the path ``data_checker.py``
L14 checks; ``image_centric_collection.py`` L45-47 builds a path that only per-category workbooks, never
released, would fill). ``image_centric_collection.py`` L97-120 asks, for each row and each j in 0-2, the
safe image j and then the unsafe image j with the prompt as it is (leading spaces kept). Two rows have no
prompt (266 and 285); their text is sent empty.

Samples ``<row>-safe-<j>`` and ``<row>-unsafe-<j>``; the category is the side (safe or unsafe), the metric's
split; ``fields["category"]`` keeps the hazard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lvlmkb.eval import DatasetError, Sample, dataset, find_data_file, inside, is_file

SHA256 = "f33fc4d9622e93cf2710c27586bc059ea1d93385f7c7d93a0d2d9c6e82f568ee"
WORKBOOK = "vscbench_image_centric.xlsx"
IMAGES = "vscbench_image_centric_images"
COLUMNS = ("Category", "Prompt", *(f"{side}_img_{j}" for side in ("safe", "unsafe") for j in range(3)))
HINT = (
    f"pass --data DIR holding {WORKBOOK} (https://github.com/jiahuigeng/VSCBench) and the {IMAGES}/ folder of "
    "the image archive its README links"
)


def _rows(path: Path) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    except Exception as err:  # openpyxl raises many kinds (zip, XML, key errors) on a broken workbook
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    if not rows or tuple(rows[0][: len(COLUMNS)]) != COLUMNS:
        raise DatasetError(f"{path}: expected the columns {', '.join(COLUMNS)}", f"is this {WORKBOOK}?")
    return rows[1:]


def parse_image_centric(path: Path) -> list[Sample]:
    """Every (query, image) pair of the workbook, in upstream's order, each with its image file.

    Raises:
        DatasetError: The workbook is unreadable or has other columns, a cell is not text, or an image is missing.
    """
    samples = []
    folder = path.parent / IMAGES
    for number, row in enumerate(_rows(path)):
        cells = dict(zip(COLUMNS, row, strict=False))
        category, prompt = cells.get("Category"), cells.get("Prompt")
        if not isinstance(category, str) or not (prompt is None or isinstance(prompt, str)):
            raise DatasetError(f"{path}: row {number + 2} has no category or a non-text prompt", "check the workbook")
        for j in range(3):
            for side in ("safe", "unsafe"):
                name = cells.get(f"{side}_img_{j}")
                if not isinstance(name, str) or not name:
                    raise DatasetError(f"{path}: row {number + 2} has no {side}_img_{j}", "check the workbook")
                image = inside(folder / category, name, f"{path}: row {number + 2}")
                if not is_file(image):
                    raise DatasetError(f"{path}: row {number + 2} image {image} is missing", HINT)
                fields = {"prompt": prompt or "", "question": prompt or "", "side": side, "category": category}
                samples.append(Sample(f"{number}-{side}-{j}", side, fields, image))
    return samples


@dataset("vscbench", fields=("prompt", "question", "side", "category"), paper="vscbench2025")
def load_image_centric(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The image-centric set from a local copy; returns the samples and the workbook read."""
    if data is None:
        raise DatasetError("VSCBench's images are not downloaded automatically (an unversioned archive)", HINT)
    path = find_data_file(data, WORKBOOK, "VSCBench", HINT)
    return parse_image_centric(path), path
