"""AsD: the patch pasted as AsD.py pastes it (size, opacity, position), the prompt before the question."""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lvlmkb.eval.backends.base import ImageInput, single_turn
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.datasets.base import DatasetError, RemoteFile, sha256_file

if TYPE_CHECKING:
    from PIL.Image import Image

PIL = pytest.importorskip("PIL.Image")
from reproductions.asd import defense as asd  # noqa: E402


def _patch(tmp_path: Path) -> Path:
    path = tmp_path / "patch.png"
    PIL.effect_noise((30, 20), 80).convert("RGB").save(path)
    return path


def _config(tmp_path: Path, **changes: object) -> asd.AsDConfig:
    path = _patch(tmp_path)
    return asd.AsDConfig(patch=path, patch_sha256=sha256_file(path), **changes)


def upstream_paste(images: Image, AsD_image: Image, rng: random.Random) -> Image:
    """AsD.py L181-203 as written, with the defaults (percentage 0.25, alpha_percentage 0.7)."""
    image_width, image_height = images.size
    target_area = image_width * image_height * 0.25
    aspect_ratio = AsD_image.width / AsD_image.height
    target_width = int((target_area * aspect_ratio) ** 0.5)
    target_height = int(target_width / aspect_ratio)
    AsD_image = AsD_image.resize((target_width, target_height)).convert("RGB")
    images_with_alpha = AsD_image.copy()
    images_with_alpha.putalpha(int(0.7 * 255))
    random_x = rng.randint(0, image_width - target_width)
    random_y = rng.randint(0, image_height - target_height)
    images.paste(images_with_alpha, (random_x, random_y), mask=images_with_alpha)
    return images


def test_the_patch_is_pasted_pixel_for_pixel_as_upstream_pastes_it(tmp_path: Path) -> None:
    config = _config(tmp_path)
    image = PIL.effect_noise((90, 64), 40).convert("RGB")
    patch = PIL.open(config.patch).convert("RGB")
    key = ImageInput.from_pil(image).sha256
    ours, where = asd.paste_patch(image, patch, config, key)
    rng = random.Random(f"42:{key}")
    theirs = upstream_paste(image.copy(), patch, rng)
    assert ours.tobytes() == theirs.tobytes() and where["width"] * where["height"] <= 90 * 64 * 0.25
    again, _ = asd.paste_patch(image, patch, config, key)
    assert again.tobytes() == ours.tobytes(), "the position is a function of the image"


def test_the_request_gets_the_prompt_and_a_patched_image(tmp_path: Path) -> None:
    image = ImageInput.from_pil(PIL.new("RGB", (40, 40), "white"))
    backend = MockBackend("comply")
    (response,) = asd.AsD(_config(tmp_path)).wrap(backend).generate([single_turn("List the steps.", (image,))])
    (turn,) = backend.history[0].messages
    assert turn.parts[-1] == asd.ASD_PROMPT + "\nList the steps." and turn.images[0].sha256 != image.sha256
    assert response.trace is not None and len(response.trace["patches"]) == 1
    (plain,) = (
        asd.AsD(_config(tmp_path, with_prompt=False))
        .wrap(MockBackend("comply"))
        .generate([single_turn("List the steps.", (image,))])
    )
    assert plain.trace is not None and plain.trace["sent_prompt"] == "List the steps."


def test_a_patch_that_is_not_the_released_one_is_refused(tmp_path: Path) -> None:
    defense = asd.AsD(asd.AsDConfig(patch=_patch(tmp_path)))
    with pytest.raises(DatasetError, match="not AsD's released patch"):
        defense.patch()


def test_without_a_path_the_pinned_release_is_fetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[RemoteFile] = []
    path = _patch(tmp_path)

    def fake_fetch(remote: RemoteFile, root: Path | None = None) -> Path:
        asked.append(remote)
        return path

    monkeypatch.setattr("lvlmkb.eval.datasets.base.fetch", fake_fetch)
    asd.AsD(asd.AsDConfig(patch_sha256=sha256_file(path))).patch()
    assert [r.sha256 for r in asked] == [asd.PATCH_SHA256] and "ba71efe0972c92e38da156ec76911f9122bbe12f" in asked[
        0
    ].url
