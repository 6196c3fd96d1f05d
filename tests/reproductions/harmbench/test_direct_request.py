"""HarmBench's multimodal DirectRequest: the behavior with a trailing space and its image fitted to the profile."""

from __future__ import annotations

from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import get_method
from reproductions.harmbench.render_text import fit_to_canvas
from tests.conftest import DATA, REPO

HARMBENCH = DATA / "datasets" / "harmbench-mm"


def test_each_behavior_is_asked_with_its_image_on_the_profiles_canvas() -> None:
    from PIL import Image

    method_cls = get_method(REPO / "reproductions", "harmbench-direct-request")
    samples = load_dataset("harmbench-mm", HARMBENCH).samples
    sample = samples[0]
    assert sample.image is not None
    crafted = method_cls().craft(sample)
    assert crafted.prompt == sample.fields["behavior"] + " "
    (image,) = crafted.images
    with Image.open(sample.image) as original:
        expected = fit_to_canvas(original, 336, 336)
    assert image.to_pil().tobytes() == expected.tobytes() and image.to_pil().size == (336, 336)
    qwen = method_cls(method_cls.Config.model_validate({"profile": "qwen_vl_chat"})).craft(sample)
    assert qwen.images[0].to_pil().size == (448, 448) and qwen.meta == {"profile": "qwen_vl_chat"}
    assert method_cls().setting() == "DirectRequest" and method_cls.kind == "benchmark"
