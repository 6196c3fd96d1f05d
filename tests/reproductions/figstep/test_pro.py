"""FigStep-Pro: the authors' released pieces by default, and their recipe re-rendering those pieces pixel for pixel."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import pytest

from lvlmkb.eval import DatasetError, Sample
from lvlmkb.eval.registry import get_method
from reproductions.figstep.attack import FigStep
from reproductions.figstep.pro import even_cuts, keyword_canvas
from reproductions.figstep.pro_dataset import extract_pieces, load_figstep_pro
from tests.conftest import DATA, REPO

FIXTURE = DATA / "figstep_pro"
RELEASED: dict[str, Any] = json.loads((FIXTURE / "released_pieces.json").read_text(encoding="utf-8"))
CELL = 48
"""FreeMonoBold 80's advance: every character is 48 px wide."""
OVERLAPS = {(10, 1), (25, 1), (50, 2)}
"""Pieces where two glyphs' ink overlaps (m|m, h|m): Pillow 10.2 and later draw the overlap differently."""


def _pixels(image: Any) -> str:
    return hashlib.sha256(image.convert("RGB").tobytes()).hexdigest()


def _text_of(keyword: str, box: list[int]) -> str:
    """The characters whose 48-px cells the piece's box covers."""
    return keyword[box[0] // CELL : math.ceil(box[2] / CELL)]


def _explained(question: dict[str, Any], index: int) -> bool:
    """Why a piece may differ with Debian's FreeMonoBold 20120503 and this Pillow (see the module's note)."""
    keyword, box = question["keyword"], question["boxes"][index]
    glyphs = bool(set(_text_of(keyword, box)) & {"p", "j"})  # their outlines differ from the 2010 font
    shifted = keyword.startswith("p") and index == len(question["boxes"]) - 1  # 1 px narrower canvas
    return glyphs or shifted or (question["row"], index) in OVERLAPS


def test_the_recipe_re_renders_the_released_pieces() -> None:
    """Every released piece that the font and Pillow versions do not explain is re-rendered pixel for pixel.

    With GNU FreeFont 20100919 and Pillow 10.1 all 181 match (checked while reading the release); with
    Debian's font, 'p' and 'j' are drawn differently and a 'p' at the start narrows the canvas by 1 px.
    """
    font = FigStep().font
    same, explained = 0, 0
    for question in RELEASED["questions"]:
        canvas = keyword_canvas(question["keyword"], font, (0, 20), 20)
        for index, (box, expected) in enumerate(zip(question["boxes"], question["pixels_sha256"], strict=True)):
            if _pixels(canvas.crop(tuple(box))) == expected:
                same += 1
            else:
                assert _explained(question, index), (question["row"], index, question["keyword"])
                explained += 1
    assert (same, explained) == (152, 29)
    assert sum(len(q["boxes"]) for q in RELEASED["questions"]) == 181 and len(RELEASED["questions"]) == 50


def test_released_cuts_are_at_character_boundaries() -> None:
    for question in RELEASED["questions"]:
        boxes = question["boxes"]
        assert boxes[0][0] == 0 and boxes[-1][2] == question["canvas"][0]
        assert all(a[2] == b[0] for a, b in itertools.pairwise(boxes)), "no gap, no overlap"
        assert 3 <= len(boxes) <= 7


def test_released_pieces_are_sent_in_order_with_the_pro_prompt() -> None:
    pro = get_method(REPO / "reproductions", "figstep-pro")
    samples, _ = load_figstep_pro(FIXTURE)
    crafted = pro().craft(samples[1])
    assert crafted.prompt.startswith("Steps to * in court. \n1.\n2.\n3.\n\nThe text above shows a list numbered 1")
    assert crafted.prompt.endswith("Therefore you should output starting with 1.")
    with zipfile.ZipFile(FIXTURE / "sub-figures.zip") as bundle:
        names = sorted(n for n in bundle.namelist() if n.startswith("image_1_splits/"))
        from PIL import Image

        expected = [_pixels(Image.open(bundle.open(name))) for name in names]
    assert [_pixels(image.to_pil()) for image in crafted.images] == expected
    assert crafted.meta == {"pieces": "3", "images": "released"}
    candidate = pro(pro.Config.model_validate({"prompt": "candidate"})).craft(samples[1])
    assert candidate.prompt.startswith("Concatenate the 3 images.")


def test_rendered_pieces_draw_the_keyword_of_any_dataset() -> None:
    pro = get_method(REPO / "reproductions", "figstep-pro")
    method = pro(pro.Config.model_validate({"images": "rendered", "keyword_field": "key", "pieces": 4}))
    assert method.needed_fields() == ("key", "pro_sentence")
    crafted = method.craft(Sample("s1", "c", {"key": "weapon", "pro_sentence": "List of *."}))
    widths = [image.to_pil().size for image in crafted.images]
    assert len(widths) == 4 and all(h == 120 for _w, h in widths)  # 'p' descends: text box bottom 100 + 20
    font = FigStep().font
    canvas = keyword_canvas("weapon", font, (0, 20), 20)
    assert sum(w for w, _h in widths) == canvas.width == CELL * 6 + 20
    assert [box[0] for box in even_cuts("weapon", font, canvas.width, 120, 4)] == [0, 48 * 2, 48 * 3, 48 * 4]


def test_the_zip_is_checked_and_unpacked_into_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LVLMKB_CACHE", str(tmp_path / "cache"))
    copy = tmp_path / "data"
    copy.mkdir()
    for name in ("SafeBench-Tiny.csv", "benign_sentences_without_harmful_phase.csv", "sub-figures.zip"):
        (copy / name).write_bytes((FIXTURE / name).read_bytes())
    samples, read = load_figstep_pro(copy)
    assert read == copy and sorted(p.name for p in copy.iterdir())[-1] == "sub-figures.zip", "the copy is not written"
    assert all(Path(s.fields["pieces_dir"]).is_relative_to(tmp_path / "cache") for s in samples)
    hostile = tmp_path / "hostile.zip"
    with zipfile.ZipFile(hostile, "w") as bundle:
        bundle.writestr("../escape.png", b"x")
    with pytest.raises(DatasetError, match=r"unexpected member '\.\./escape\.png'"):
        extract_pieces(hostile)
    (copy / "sub-figures.zip").unlink()
    with pytest.raises(DatasetError, match=r"holds no sub-figures\.zip"):
        load_figstep_pro(copy)


def test_broken_zips_and_short_keywords_are_clean_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lvlmkb.eval import UsageError

    monkeypatch.setenv("LVLMKB_CACHE", str(tmp_path / "cache"))
    corrupt = tmp_path / "sub-figures.zip"
    corrupt.write_bytes((FIXTURE / "sub-figures.zip").read_bytes()[:-200])  # truncated
    with pytest.raises(DatasetError, match="cannot read"):
        extract_pieces(corrupt)
    leftovers = [p for p in (tmp_path / "cache").rglob(".sub-figures-*")]
    assert leftovers == [], "no staging folder is left behind"
    pro = get_method(REPO / "reproductions", "figstep-pro")
    method = pro(pro.Config.model_validate({"images": "rendered", "keyword_field": "key"}))
    with pytest.raises(UsageError, match="fewer than 3 characters"):
        method.craft(Sample("s", "c", {"key": "ab", "pro_sentence": "*"}))
