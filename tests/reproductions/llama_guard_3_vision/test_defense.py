"""Llama Guard 3 Vision as a guardrail: what each check sends to the guard, what a flagged exchange gets, traces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from lvlmkb.eval.backends.base import GenerationRequest, GenerationSettings, ImageInput, single_turn
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.backends.tiny import ensure_tiny_model
from lvlmkb.eval.judges.base import Verdict
from lvlmkb.eval.registry import get_defense
from tests.conftest import REPO

FOLDER = REPO / "reproductions"


class FakeGuard:
    """Answers from a table keyed by (prompt, answer); records what it was shown."""

    def __init__(self, unsafe: set[tuple[str, str | None]]) -> None:
        self.unsafe = unsafe
        self.seen: list[tuple[str, bool, str | None]] = []

    def classify(self, prompt: str, image: Any | None, response: str | None = None) -> Verdict:
        self.seen.append((prompt, image is not None, response))
        if (prompt, response) in self.unsafe:
            return Verdict(True, "unsafe", rationale="S2")
        return Verdict(False, "safe")

    def describe(self) -> dict[str, Any]:
        return {"checkpoint": "fake"}


def _defense(check: str, guard: FakeGuard) -> Any:
    cls: Any = get_defense(FOLDER, "llama-guard-3-vision")
    defense = cls(cls.Config(check=check))
    defense.guard = guard
    return defense


def _requests() -> list[GenerationRequest]:
    image = ImageInput.from_pil(Image.new("RGB", (8, 8), "red"))
    settings = GenerationSettings(max_new_tokens=4)
    return [single_turn("bad prompt", [image, image], settings), single_turn("fine prompt", [], settings)]


def test_a_flagged_prompt_is_never_sent() -> None:
    guard = FakeGuard({("bad prompt", None)})
    model = MockBackend("echo")
    out = _defense("prompt", guard).generate(model, _requests())
    assert out[0].text == "I'm sorry, but I can't help with that."
    assert out[0].trace == {"prompt_check": {"label": "unsafe", "categories": "S2"}, "refused_by_defense": True}
    assert [r.messages[-1].text for r in model.history] == ["fine prompt"], "only the unflagged prompt is sent"
    assert model.batch_sizes == [1]
    assert guard.seen == [("bad prompt", True, None), ("fine prompt", False, None)]
    assert out[1].trace == {"prompt_check": {"label": "safe", "categories": ""}}


def test_a_flagged_answer_is_replaced_and_kept_in_the_trace() -> None:
    model = MockBackend("echo")
    answers = [r.text for r in model.generate(_requests())]
    guard = FakeGuard({("fine prompt", answers[1])})
    out = _defense("response", guard).generate(MockBackend("echo"), _requests())
    assert out[0].text == answers[0] and out[0].trace == {"response_check": {"label": "safe", "categories": ""}}
    assert out[1].text == "I'm sorry, but I can't help with that." and out[1].trace is not None
    assert out[1].trace["refused_by_defense"] is True and out[1].trace["original_answer"] == answers[1]
    assert [seen[2] for seen in guard.seen] == answers, "response classification shows the guard each answer"


def test_both_checks_and_an_unparsed_guard_output_lets_the_answer_through() -> None:
    class Unreadable(FakeGuard):
        def classify(self, prompt: str, image: Any | None, response: str | None = None) -> Verdict:
            super().classify(prompt, image, response)
            return Verdict(False, "unparsed", rationale="gibberish")

    guard = Unreadable(set())
    out = _defense("both", guard).generate(MockBackend("echo"), _requests()[1:])
    assert out[0].trace == {
        "prompt_check": {"label": "unparsed", "categories": "gibberish"},
        "response_check": {"label": "unparsed", "categories": "gibberish"},
    }
    assert len(guard.seen) == 2


def tiny_guard(tmp_path: Path) -> dict[str, str]:
    """Settings that point the defense at a tiny random Mllama (Llama Guard 3 Vision's architecture)."""
    return {"checkpoint": str(ensure_tiny_model("mllama", tmp_path / "tiny")), "device": "cpu"}


def test_the_guard_runs_a_real_checkpoint(tmp_path: Path) -> None:
    """A tiny random Mllama stands in for the guard: its template and processor are exercised end to end."""
    cls: Any = get_defense(FOLDER, "llama-guard-3-vision")
    settings = tiny_guard(tmp_path)
    folder = settings["checkpoint"]
    defense = cls(cls.Config(**settings))
    defense.attach(MockBackend("echo"))
    out = defense.generate(MockBackend("echo"), _requests())
    assert len(out) == 2 and all(r.trace and "prompt_check" in r.trace for r in out)
    assert all(r.trace["prompt_check"]["label"] in {"safe", "unsafe", "unparsed"} for r in out if r.trace)
    info = defense.describe()["guard"]
    assert info["checkpoint"] == folder and len(info["template_sha256"]) == 64


def test_unattached_is_a_clean_error() -> None:
    cls: Any = get_defense(FOLDER, "llama-guard-3-vision")
    with pytest.raises(Exception, match="not attached"):
        cls().generate(MockBackend("echo"), _requests())
