"""Images as the original models saw them: LLaVA-1.5 pads to a square (image mean) before the processor's crop."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch
from PIL import Image

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.base import ImageInput, single_turn
from lvlmkb.eval.backends.hf import HFBackend
from lvlmkb.eval.backends.preprocessing import (
    JANUS_RESIZE_PAD,
    LLAVA_15_PAD,
    PROCESSOR,
    expand_to_square,
    preprocessing_for,
)
from lvlmkb.eval.backends.registry import BackendOptions, check_runnable
from lvlmkb.eval.backends.tiny import TINY_PREFIX
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.eval.backends.test_hf import tiny_root  # noqa: F401  (the session's tiny models)

STRIPES = ((255, 0, 0), (0, 255, 0), (0, 0, 255))


def stripes() -> ImageInput:
    """A wide image, red | green | blue: a center crop of it keeps only the green."""
    image = Image.new("RGB", (60, 20))
    for index, colour in enumerate(STRIPES):
        image.paste(colour, (20 * index, 0, 20 * (index + 1), 20))
    return ImageInput.from_pil(image)


def test_expand_to_square_centres_the_image_on_the_fill() -> None:
    square = expand_to_square(stripes().to_pil(), (1, 2, 3))
    assert square.size == (60, 60)
    assert square.getpixel((30, 0)) == (1, 2, 3) and square.getpixel((30, 59)) == (1, 2, 3)
    assert square.getpixel((5, 30)) == STRIPES[0] and square.getpixel((55, 30)) == STRIPES[2]
    assert square.getpixel((5, 19)) == (1, 2, 3) and square.getpixel((5, 20)) == STRIPES[0]  # rows 20-39
    tall = Image.new("RGB", (10, 30), (9, 9, 9))
    assert expand_to_square(tall, (0, 0, 0)).getpixel((10, 15)) == (9, 9, 9)  # columns 10-19
    assert expand_to_square(square, (0, 0, 0)) is square


def test_the_choice_of_step() -> None:
    assert preprocessing_for("llava") is LLAVA_15_PAD and preprocessing_for("janus") is JANUS_RESIZE_PAD
    assert preprocessing_for("qwen2-vl") is PROCESSOR
    assert preprocessing_for("llava", "processor") is PROCESSOR
    assert preprocessing_for(None, model_type="llava") is LLAVA_15_PAD


def _colours(pixels: torch.Tensor) -> set[tuple[int, int, int]]:
    """The distinct colours of an NCHW [0, 1] tensor, rounded to bytes."""
    rgb = (pixels[0].permute(1, 2, 0).reshape(-1, 3) * 255).round().to(torch.int64)
    return {(int(r), int(g), int(b)) for r, g, b in rgb.tolist()}


def test_llava_sees_the_whole_image_as_the_original_did(tiny_root: Path) -> None:  # noqa: F811
    padded = HFBackend(TINY_PREFIX + "llava", device="cpu")
    cropped = HFBackend(TINY_PREFIX + "llava", device="cpu", preprocessing="processor")
    fill = tuple(int(v * 255) for v in padded.processor.image_processor.image_mean)
    seen = _colours(padded.pixel_inputs([stripes()]))
    assert set(STRIPES) <= seen and fill in seen, "every stripe survives, on the mean-coloured padding"
    assert STRIPES[0] not in _colours(cropped.pixel_inputs([stripes()])), "the processor alone crops red away"
    assert padded.describe()["preprocessing"]["id"] == "llava-1.5-pad-to-square"
    assert cropped.describe()["preprocessing"]["id"] == "processor"


def test_generation_goes_through_the_same_step(tiny_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    backend = HFBackend(TINY_PREFIX + "llava", device="cpu")
    seen: list[tuple[int, int]] = []
    original = backend.prepare_image

    def spy(image: Image.Image) -> Image.Image:
        prepared: Image.Image = original(image)
        seen.append(prepared.size)
        return prepared

    monkeypatch.setattr(backend, "prepare_image", spy)
    backend.render([single_turn("what is shown?", [stripes()])])
    assert seen == [(60, 60)]
    described = backend.describe()
    assert isinstance(described["chat_template_sha256"], str) and len(described["chat_template_sha256"]) == 64


def test_the_option_is_checked_and_part_of_the_configuration(repo_kb: KnowledgeBase) -> None:
    entry = repo_kb.models["llava-1.5-7b"]
    assert check_runnable(entry, BackendOptions(extra={"preprocessing": "processor"})) == "hf"
    with pytest.raises(UsageError, match="preprocessing=crop is not a choice"):
        check_runnable(entry, BackendOptions(extra={"preprocessing": "crop"}))


def test_janus_truncates_the_short_side_as_the_original(tiny_root: Path) -> None:  # noqa: F811
    backend = HFBackend(TINY_PREFIX + "janus", device="cpu")
    wide = Image.new("RGB", (1000, 333), (200, 0, 0))
    prepared = backend.prepare_image(wide)
    assert prepared.size == (32, 32)  # the tiny model's size
    rows = [y for y in range(32) if prepared.getpixel((16, y))[1] < 60]
    assert len(rows) == 10, "int(333 / 1000 * 32) = 10 rows, where rounding would give 11"
    assert prepared.getpixel((16, 0)) == (127, 127, 127), "padded with the processor's background colour"
    assert backend.describe()["preprocessing"]["id"] == "janus-resize-truncate-pad"


def test_naming_the_default_step_is_the_same_run(repo_kb: KnowledgeBase, fixture_csv: Path) -> None:
    from lvlmkb.eval.context import RunContext
    from lvlmkb.eval.datasets.registry import load_dataset
    from lvlmkb.eval.registry import get_method
    from lvlmkb.eval.run.runner import RunSpec, fingerprint, run_configuration

    method = get_method(repo_kb.project.reproductions_dir, "figstep")()
    dataset = load_dataset("safebench", fixture_csv, 2)
    spec = RunSpec(method="figstep", model="tiny-llava", limit=2)

    def key(extra: dict[str, object]) -> str:
        ctx = RunContext(repo_kb, BackendOptions(extra=extra))
        return fingerprint(run_configuration(ctx, spec, method, None, dataset))

    assert key({}) == key({"preprocessing": "original"}) != key({"preprocessing": "processor"})
