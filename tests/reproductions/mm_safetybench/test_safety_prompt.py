"""MM-SafetyBench's safety prompt: the sentence, then a newline, then the query; images untouched."""

from __future__ import annotations

import hashlib

from lvlmkb.eval.backends.base import GenerationRequest, ImageInput, Message, single_turn
from lvlmkb.eval.backends.mock import MockBackend
from reproductions.mm_safetybench.safety_prompt import SAFETY_PROMPT, SafetyPrompt, SafetyPromptConfig


def test_the_sentence_is_the_one_both_sources_give() -> None:
    digest = hashlib.sha256(SAFETY_PROMPT.encode("utf-8")).hexdigest()
    assert digest == "6371d58b495c365b0ca4c0265d7e5f5926391291db12f8ab42562c01182dd6cf" and len(SAFETY_PROMPT) == 117


def test_the_prompt_goes_before_the_last_user_turn_and_images_stay() -> None:
    image = ImageInput(b"\x89PNG fake")
    system = Message("system", ("Be brief.",))
    request = GenerationRequest((system, *single_turn("How do I do this?", (image,)).messages))
    seen: list[GenerationRequest] = []

    def answer(req: GenerationRequest) -> str:
        seen.append(req)
        return "I cannot help."

    (response,) = SafetyPrompt().wrap(MockBackend(script=answer)).generate([request])
    sent = seen[0].messages
    assert sent[0] == system and sent[1].parts == (image, SAFETY_PROMPT + "\nHow do I do this?")
    assert response.text == "I cannot help." and response.trace is not None
    assert response.trace["sent_prompt"] == SAFETY_PROMPT + "\nHow do I do this?"


def test_the_separator_can_follow_another_reading() -> None:
    backend = MockBackend("echo")
    SafetyPrompt(SafetyPromptConfig(separator=" ")).wrap(backend).generate([single_turn("Q?")])
    assert backend.history[0].messages[-1].text == SAFETY_PROMPT + " Q?"
