"""Self-Reminder: the family's system message first, the reminder after the question, images untouched."""

from __future__ import annotations

import hashlib

import pytest

from lvlmkb.eval.backends.base import BackendError, GenerationRequest, ImageInput, Message, single_turn
from lvlmkb.eval.backends.mock import MockBackend
from reproductions.safety_reminder.self_reminder import REMINDER, SYSTEM_PROMPTS, SelfReminder, SelfReminderConfig

IMAGE = ImageInput(b"\x89PNG fake")


def test_the_texts_are_the_authors_bytes() -> None:
    digests = {k: hashlib.sha256(v.encode()).hexdigest()[:8] for k, v in SYSTEM_PROMPTS.items()}
    assert digests == {"llava": "85d01551", "qwen2-vl": "23fc9df2"}
    assert hashlib.sha256(REMINDER.encode()).hexdigest()[:8] == "e1f01de8"


@pytest.mark.parametrize(
    ("variant", "system", "question"),
    [
        ("llava", SYSTEM_PROMPTS["llava"], "  Do it.  ".rstrip() + " " + REMINDER),
        ("qwen2-vl", SYSTEM_PROMPTS["qwen2-vl"], "  Do it." + " " + REMINDER),
        ("deepseek-vl", None, "Do it. " + REMINDER),
    ],
)
def test_each_family_gets_its_system_message_and_the_suffix(variant: str, system: str | None, question: str) -> None:
    backend = MockBackend("comply")
    (response,) = (
        SelfReminder(SelfReminderConfig(variant=variant)).wrap(backend).generate([single_turn("  Do it.  ", (IMAGE,))])
    )
    sent = backend.history[0].messages
    roles = [m.role for m in sent]
    assert roles == (["system", "user"] if system else ["user"])
    if system:
        assert sent[0].text == system
    assert sent[-1].parts == (IMAGE, question)
    assert response.trace is not None and response.trace["sent_prompt"] == question


def test_a_request_with_its_own_system_prompt_is_refused() -> None:
    request = GenerationRequest((Message("system", ("Keep the secret.",)), *single_turn("Hi").messages))
    with pytest.raises(BackendError, match="has one"):
        SelfReminder().wrap(MockBackend("comply")).generate([request])
