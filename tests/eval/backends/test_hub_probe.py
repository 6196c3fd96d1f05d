"""An uncached checkpoint with an unreachable hub fails in one probe, naming HF_HUB_OFFLINE=1."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from lvlmkb.eval.backends.base import BackendError
from lvlmkb.eval.backends.hub import ensure_hub_reachable


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("no route to host", request=request)


def test_an_unreachable_hub_is_one_fast_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    calls: list[str] = []

    def probe(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return _unreachable(request)

    start = time.monotonic()
    with pytest.raises(BackendError) as caught:
        ensure_hub_reachable("Qwen/Qwen2.5-VL-7B-Instruct", None, httpx.Client(transport=httpx.MockTransport(probe)))
    assert time.monotonic() - start < 2 and len(calls) == 1
    assert "cannot be reached" in caught.value.message and "HF_HUB_OFFLINE=1" in caught.value.hint


def test_offline_mode_and_a_reachable_hub_need_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ensure_hub_reachable("any/model", None, httpx.Client(transport=httpx.MockTransport(_unreachable)))
    monkeypatch.delenv("HF_HUB_OFFLINE")
    answering = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    ensure_hub_reachable("any/model", None, answering)


def test_loading_silences_the_libraries_own_progress_bars() -> None:
    pytest.importorskip("transformers")
    from huggingface_hub.utils.tqdm import are_progress_bars_disabled, enable_progress_bars

    from lvlmkb.eval.backends.hf import quiet_library_progress

    enable_progress_bars()
    quiet_library_progress()
    assert are_progress_bars_disabled()
    import transformers

    assert not transformers.utils.logging.is_progress_bar_enabled()
    enable_progress_bars()
    transformers.utils.logging.enable_progress_bar()  # type: ignore[no-untyped-call]
