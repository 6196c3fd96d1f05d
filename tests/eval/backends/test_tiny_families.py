"""Families beyond Janus and LLaVA on tiny random builds: generation and batching work, white-box is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch
from PIL import Image

from lvlmkb.eval.backends.base import BackendError, GenerationSettings, ImageInput, single_turn
from lvlmkb.eval.backends.hf import HFBackend
from lvlmkb.eval.backends.registry import WHITE_BOX_FAMILIES
from lvlmkb.eval.backends.tiny import TINY_PREFIX, ensure_tiny_model
from lvlmkb.kb.knowledge import KnowledgeBase

FAMILIES = ("llava-next", "gemma-3", "idefics", "mllama")
SETTINGS = GenerationSettings(max_new_tokens=6)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, HFBackend]]:
    root = tmp_path_factory.mktemp("lvlmkb-cache")
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


@pytest.mark.parametrize("family", FAMILIES)
def test_the_white_box_path_refuses_the_family(family: str, loaded: dict[str, HFBackend]) -> None:
    assert family not in WHITE_BOX_FAMILIES
    with pytest.raises(BackendError, match=f"does not serve the {family} family"):
        loaded[family].pixel_inputs([_image(40, 40, 3)])


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
