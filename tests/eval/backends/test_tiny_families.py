"""Families beyond Janus and LLaVA on tiny random builds: generation and batching work (the processors of the
video-capable families load without their torchvision video part); white-box is the model's own loss for Gemma 3
and refused for the families whose images are tiled."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch
import transformers
from PIL import Image

from lvlmkb.eval.backends.base import BackendError, GenerationSettings, ImageInput, single_turn
from lvlmkb.eval.backends.hf import HFBackend
from lvlmkb.eval.backends.registry import WHITE_BOX_FAMILIES
from lvlmkb.eval.backends.tiny import TINY_FAMILIES, TINY_PREFIX, ensure_tiny_model, tiny_dir
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.support import reference_loss

FAMILIES = tuple(family for family in TINY_FAMILIES if family not in {"janus", "llava"})  # those: test_hf.py
VIDEO_FAMILIES = ("qwen2-vl", "qwen2-5-vl", "llava-onevision", "internvl", "smolvlm")
"""Families whose transformers 5 processor has a video part that needs torchvision."""
SETTINGS = GenerationSettings(max_new_tokens=6)


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lvlmkb-cache")


@pytest.fixture(scope="module")
def loaded(cache_root: Path) -> Iterator[dict[str, HFBackend]]:
    root = cache_root
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LVLMKB_CACHE", str(root))
        backends = {}
        for family in FAMILIES:
            ensure_tiny_model(family, root)
            backends[family] = HFBackend(TINY_PREFIX + family, device="cpu")
            assert backends[family].model is not None
        yield backends
    torch.set_num_threads(threads)


def _noise(seed: int) -> ImageInput:
    """A 40 x 40 image of uniform random pixels."""
    generator = torch.Generator().manual_seed(seed)
    pixels = (torch.rand((40, 40, 3), generator=generator) * 255).to(torch.uint8).numpy()
    return ImageInput.from_pil(Image.fromarray(pixels))


def _image(width: int, height: int, shade: int) -> ImageInput:
    return ImageInput.from_pil(Image.new("RGB", (width, height), (shade, 255 - shade, (5 * shade) % 256)))


@pytest.mark.parametrize("family", FAMILIES)
def test_a_batch_answers_as_one_request_at_a_time(family: str, loaded: dict[str, HFBackend]) -> None:
    backend = loaded[family]
    requests = [
        single_turn("what is it?", [_image(50, 30, 10)], SETTINGS),  # a wide image: two tiles on the grid
        single_turn("and this one, tell me more?", [_image(30, 60, 120)], SETTINGS),
    ]
    batch = backend.generate(requests)
    alone = [backend.generate([request])[0] for request in requests]
    assert [r.token_ids for r in batch] == [r.token_ids for r in alone]
    assert all(0 < len(r.token_ids) <= SETTINGS.max_new_tokens for r in batch)


@pytest.mark.parametrize("family", [family for family in FAMILIES if family not in WHITE_BOX_FAMILIES])
def test_the_white_box_path_refuses_the_family(family: str, loaded: dict[str, HFBackend]) -> None:
    with pytest.raises(BackendError, match=f"does not serve the {family} family"):
        loaded[family].pixel_inputs([_image(40, 40, 3)])


def test_gemma_3_white_box_loss_is_the_models_own(loaded: dict[str, HFBackend]) -> None:
    backend, image = loaded["gemma-3"], _noise(4)
    prompt, target = "what is in the picture?", "Sure, here is what"
    loss = backend.loss([image], prompt, target)
    assert torch.allclose(loss, reference_loss(backend, image.to_pil(), prompt, target), atol=1e-6)
    # without token_type_ids, image tokens attend causally: the loss the old path computed is another number
    causal = reference_loss(backend, image.to_pil(), prompt, target, drop=("token_type_ids",))
    assert not torch.allclose(loss, causal, atol=1e-6)
    pixels = backend.pixel_inputs([image]).requires_grad_(True)
    backend.loss_from_pixels(pixels, prompt, target).backward()  # type: ignore[no-untyped-call]
    assert pixels.grad is not None and float(pixels.grad.abs().sum()) > 0


@pytest.mark.parametrize("family", FAMILIES)
def test_the_image_changes_the_answer(family: str, loaded: dict[str, HFBackend]) -> None:
    """No random-weight trap leaves the image unused (Gemma 3's zero-initialised projector would)."""
    answers = {
        loaded[family].generate([single_turn("what is it?", [_noise(seed)], SETTINGS)])[0].token_ids
        for seed in range(4)
    }
    assert len(answers) > 1


@pytest.mark.parametrize("family", FAMILIES)
def test_the_tiny_alias_is_registered(family: str, repo_kb: KnowledgeBase) -> None:
    entry = repo_kb.models[f"tiny-{family}"]
    assert (entry.family, entry.checkpoint, entry.backend) == (family, TINY_PREFIX + family, "hf")


@pytest.mark.parametrize("family", VIDEO_FAMILIES)
def test_the_processor_loads_without_its_video_part(
    family: str, loaded: dict[str, HFBackend], cache_root: Path
) -> None:
    processor = loaded[family].processor
    if importlib.util.find_spec("torchvision") is None:  # this project's CPU environment
        assert type(processor).__name__.startswith("ImageOnly") and "video_processor" not in processor.get_attributes()
        with pytest.raises(ImportError, match=r"(?i)torchvision"):
            transformers.AutoProcessor.from_pretrained(str(tiny_dir(family, cache_root)))  # type: ignore[no-untyped-call]
    assert "image_processor" in processor.get_attributes()


def test_an_import_failure_without_an_image_only_processor_stays_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*_args: object, **_kwargs: object) -> None:
        raise ImportError("SomeVideoProcessor requires the Torchvision library", name="torchvision")

    monkeypatch.setenv("LVLMKB_CACHE", str(tmp_path))
    monkeypatch.setattr(transformers.AutoProcessor, "from_pretrained", missing)
    with pytest.raises(BackendError) as err:
        _ = HFBackend(TINY_PREFIX + "llava", device="cpu").model
    assert "torchvision" in err.value.message.lower() and "torchvision release" in (err.value.hint or "")


def _tall_red_over_blue() -> ImageInput:
    image = Image.new("RGB", (20, 30), (255, 0, 0))
    image.paste((0, 0, 255), (0, 15, 20, 30))
    return ImageInput.from_pil(image)


def test_llava_next_chooses_the_originals_canvas(loaded: dict[str, HFBackend]) -> None:
    """A small tall image: the original reads [32, 64] as 32 wide, 64 tall, so its two tiles are top and bottom."""
    backend = loaded["llava-next"]
    assert backend.processor.image_processor.image_grid_pinpoints == [[64, 32], [32, 64], [64, 64]]
    assert backend.model.config.image_grid_pinpoints == [[64, 32], [32, 64], [64, 64]]
    rendered = backend.render([single_turn("what?", [_tall_red_over_blue()], SETTINGS)])
    tiles = rendered["pixel_values"][0]  # the whole image squashed, then the canvas's tiles
    red, blue = tiles[1, 0].mean() - tiles[1, 2].mean(), tiles[2, 2].mean() - tiles[2, 0].mean()
    assert float(red) > 1 and float(blue) > 1, "the first tile is the red top, the second the blue bottom"
    assert backend.generate([single_turn("what?", [_tall_red_over_blue()], SETTINGS)])[0].token_ids
    converted = HFBackend(TINY_PREFIX + "llava-next", device="cpu", preprocessing="processor")
    tiles = converted.render([single_turn("what?", [_tall_red_over_blue()], SETTINGS)])["pixel_values"][0]
    assert abs(float(tiles[1, 0].mean() - tiles[2, 0].mean())) < 0.5, "the converted grid cuts left and right halves"
