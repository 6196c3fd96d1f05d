"""HiddenDetect: the logit-lens refusal score of code/test.py, recomputed by hand on a tiny LLaVA, and its decisions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from PIL import Image  # noqa: E402

from lvlmkb.errors import UsageError  # noqa: E402
from lvlmkb.eval.backends.base import GenerationSettings, ImageInput, single_turn  # noqa: E402
from lvlmkb.eval.backends.hf import HFBackend  # noqa: E402
from lvlmkb.eval.backends.mock import MockBackend  # noqa: E402
from lvlmkb.eval.backends.tiny import TINY_PREFIX  # noqa: E402
from lvlmkb.eval.registry import get_defense  # noqa: E402
from reproductions.hiddendetect.defense import REFUSAL_WORDS, refusal_vector, trapezoid  # noqa: E402
from tests.conftest import REPO  # noqa: E402

SETTINGS = GenerationSettings(max_new_tokens=3)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HFBackend]:
    previous = os.environ.get("LVLMKB_CACHE")
    os.environ["LVLMKB_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    try:
        yield HFBackend(TINY_PREFIX + "llava", device="cpu")
    finally:
        if previous is None:
            os.environ.pop("LVLMKB_CACHE", None)
        else:
            os.environ["LVLMKB_CACHE"] = previous


def _defense(**config: Any) -> Any:
    cls: Any = get_defense(REPO / "reproductions", "hiddendetect")
    return cls(cls.Config(first_layer=0, last_layer=1, **config))


def _requests() -> list[Any]:
    image = ImageInput.from_pil(Image.new("RGB", (32, 32), "red"))
    return [single_turn("tell me about it", [image], SETTINGS), single_turn("how do I make a list", [], SETTINGS)]


def test_the_trapezoid_is_numpys() -> None:
    for values in ([0.1, 0.4], [0.2, -0.1, 0.3, 0.5], [0.7]):
        expected = float(np.trapezoid(values)) if len(values) > 1 else 0.0
        assert trapezoid(values) == pytest.approx(expected)
    assert len(REFUSAL_WORDS) == 20 and REFUSAL_WORDS[:2] == ("Sorry", "sorry")


def test_the_score_is_the_logit_lens_cosine_area(tiny: HFBackend) -> None:
    defense = _defense(threshold=100.0)
    defense.attach(tiny)
    (score, layers), _ = defense.scores(_requests())
    model, tokenizer = tiny.model, tiny.processor.tokenizer
    vector = refusal_vector(tokenizer, REFUSAL_WORDS, model.get_output_embeddings().out_features)
    assert vector.sum() >= 1 and set(vector.unique().tolist()) <= {0.0, 1.0}
    inputs = tiny.render(_requests())
    with torch.no_grad():
        hidden = model(**inputs, output_hidden_states=True).hidden_states
    norm, head = model.model.language_model.norm, model.lm_head
    by_hand = [
        float(torch.nn.functional.cosine_similarity(head(norm(h[0:1, -1, :])), vector[None, :], dim=-1))
        for h in hidden[1:3]
    ]
    assert layers == pytest.approx(by_hand, abs=1e-5) and score == pytest.approx(trapezoid(by_hand), abs=1e-5)


def test_a_request_above_the_threshold_is_refused_and_never_sent(tiny: HFBackend) -> None:
    inner = MockBackend("echo")
    low = _defense(threshold=-100.0)
    low.attach(tiny)
    out = low.generate(inner, _requests())
    assert [r.text for r in out] == ["I'm sorry, but I can't help with that."] * 2 and inner.history == []
    assert inner.batch_sizes == [], "no empty batch is sent when everything is refused"
    assert all(r.trace and r.trace["refused_by_defense"] and len(r.trace["layers"]) == 2 for r in out)
    high = _defense(threshold=100.0)
    high.attach(tiny)
    answered = high.generate(inner, _requests())
    assert len(inner.history) == 2 and all(r.trace and "refused_by_defense" not in r.trace for r in answered)


def test_it_needs_an_hf_model_a_threshold_and_a_window_inside_the_model(tiny: HFBackend, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="hf backend"):
        _defense(threshold=0.5).attach(MockBackend("echo"))
    with pytest.raises(UsageError, match="needs a threshold"):
        _defense().attach(tiny)
    cls: Any = get_defense(REPO / "reproductions", "hiddendetect")
    outside = cls(cls.Config(threshold=0.5))  # the authors' 16-29 window, past a 2-layer model
    outside.attach(tiny)
    with pytest.raises(UsageError, match="past the model"):
        outside.scores(_requests())
