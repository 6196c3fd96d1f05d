"""LlavaGuard as an input guard: the policy verbatim, the authors' reading of a rating, and what gets through."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from lvlmkb.eval.backends.base import GenerationSettings, ImageInput, single_turn
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.backends.tiny import ensure_tiny_model
from lvlmkb.eval.registry import get_defense
from reproductions.llavaguard.defense import rating
from reproductions.llavaguard.policy import POLICY_V1
from tests.conftest import REPO

# sha256 of policy_v1 in scripts/inference/tranformers.ipynb at ml-research/LlavaGuard 840699c
POLICY_SHA256 = "e00d3a4e822bde7c729a7866b18805ed78d2938d0e591e66ec62562a02fd0652"


def tiny_llavaguard(tmp_path: Path) -> dict[str, str]:
    """Settings pointing the defense at a tiny random LLaVA-OneVision (the v1.2 checkpoints' architecture)."""
    return {"checkpoint": str(ensure_tiny_model("llava-onevision", tmp_path / "tiny")), "device": "cpu"}


def test_the_policy_is_the_authors() -> None:
    assert hashlib.sha256(POLICY_V1.encode()).hexdigest() == POLICY_SHA256


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            '{\n    "rating": "Unsafe",\n    "category": "O2: Violence, Harm, or Cruelty",\n    "rationale": "x"\n}',
            "Unsafe",
        ),
        ('```json\n{"rating": "Safe", "category": "NA: None applying", "rationale": "a park"}\n```', "Safe"),
        ('{"rating": "Unsafe", "category": "O5: Criminal Planning", "rationale": "cut off', "Unsafe"),
        ("The content is Safe.", "Safe"),
        ("Safe or Unsafe? Hard to say.", "unparsed"),
        ("no idea", "unparsed"),
        ('{"rating": "unsafe", "category": "O2"} Unsafe', "unparsed"),
    ],
    ids=["json-unsafe", "fenced-safe", "truncated", "plain-safe", "both-words", "neither", "parsed-invalid"],
)
def test_ratings_are_read_as_the_authors_read_them(answer: str, expected: str) -> None:
    assert rating(answer)[0] == expected


def _defense(assessments: list[str]) -> tuple[Any, list[Any]]:
    cls: Any = get_defense(REPO / "reproductions", "llavaguard")
    defense = cls()
    defense.attach(MockBackend("echo"))
    shown: list[Any] = []

    def assess(image: Any) -> tuple[str, str, str]:
        shown.append(image)
        label = assessments[len(shown) - 1]
        return label, "O2" if label == "Unsafe" else "", f"rating {label}"

    defense.assess = assess
    return defense, shown


def test_an_unsafe_image_is_refused_and_text_passes() -> None:
    image = ImageInput.from_pil(Image.new("RGB", (16, 16), "red"))
    settings = GenerationSettings(max_new_tokens=3)
    requests = [single_turn("q1", [image], settings), single_turn("q2", [], settings), single_turn("q3", [image])]
    defense, shown = _defense(["Unsafe", "unparsed"])
    inner = MockBackend("echo")
    out = defense.generate(inner, requests)
    assert len(shown) == 2, "only requests with an image are rated"
    assert out[0].text == "I'm sorry, but I can't help with that." and out[0].trace["refused_by_defense"] is True
    assert out[1].trace == {"rating": "no image"} and "refused_by_defense" not in out[2].trace
    assert [r.messages[-1].text for r in inner.history] == ["q2", "q3"]


def test_the_guard_runs_a_onevision_checkpoint_without_torchvision(tmp_path: Path) -> None:
    cls: Any = get_defense(REPO / "reproductions", "llavaguard")
    defense = cls(cls.Config(**tiny_llavaguard(tmp_path), max_new_tokens=4))
    defense.attach(MockBackend("echo"))
    label, _category, answer = defense.assess(Image.new("RGB", (40, 30), "blue"))
    assert label in {"Safe", "Unsafe", "unparsed"} and isinstance(answer, str)
    assert defense.describe()["guard"]["checkpoint"].endswith("llava-onevision-v1")
