"""Every backend is reachable: ``--backend``, ``--base-url`` for any alias, served names, refused options."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.registry import BackendOptions, backend_name, check_runnable, options_for_role
from lvlmkb.kb.schema import ModelEntry
from tests.conftest import DATA
from tests.eval.backends.test_openai_compat import FakeServer, server

__all__ = ["server"]  # the fixture, shared with the backend's own tests

QWEN = ModelEntry(id="qwen2.5-vl-7b", label="Qwen2.5-VL-7B", family="qwen2-5-vl", checkpoint="Qwen/Q", backend="hf")
GPT = ModelEntry(id="gpt-4o", label="GPT-4o", family="gpt-4", backend="openai", served_name="gpt-4o")
CLOSED = ModelEntry(id="gemini-pro-vision", label="Gemini", family="gemini", notes="Closed.")


@pytest.mark.parametrize(
    ("entry", "options", "expected"),
    [
        (QWEN, BackendOptions(), "hf"),
        (QWEN, BackendOptions(base_url="http://127.0.0.1:9/v1"), "openai"),
        (QWEN, BackendOptions(backend="mock"), "mock"),
        (GPT, BackendOptions(), "openai"),
        (CLOSED, BackendOptions(backend="openai", served_model="gemini-1.5-pro"), "openai"),
    ],
)
def test_the_backend_follows_flags_then_the_registry(entry: ModelEntry, options: BackendOptions, expected: str) -> None:
    assert backend_name(entry, options) == expected == check_runnable(entry, options)


@pytest.mark.parametrize(
    ("entry", "options", "message"),
    [
        (CLOSED, BackendOptions(), "has no backend that runs it"),
        (CLOSED, BackendOptions(backend="openai"), "has no served name"),
        (QWEN, BackendOptions(backend="vllm2"), "unknown backend 'vllm2'"),
        (QWEN, BackendOptions(backend="hf", base_url="http://127.0.0.1:9/v1"), "--base-url is for the openai backend"),
        (QWEN, BackendOptions(base_url="http://127.0.0.1:9/v1", extra={"concurency": 4}), "takes no option concurency"),
        (QWEN, BackendOptions(extra={"concurrency": 4}), "backend 'hf' takes no option concurrency"),
    ],
)
def test_what_cannot_run_is_refused_before_anything_loads(
    entry: ModelEntry, options: BackendOptions, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        check_runnable(entry, options)


def test_base_url_runs_any_alias_on_a_compatible_server(
    server: FakeServer, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("PIL")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    args = ["reproduce", "figstep", "--model", "qwen2.5-vl-7b", "--base-url", server.url, "--root", str(checkout)]
    args += ["--data", str(DATA / "safebench_fixture.csv"), "--limit", "2", "--max-new-tokens", "8"]
    args += ["--backend-option", "timeout=5", "--backend-option", "backoff=0.001"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert server.count == 2 and {body["model"] for body in server.bodies} == {"Qwen/Qwen2.5-VL-7B-Instruct"}
    image_parts = [p for body in server.bodies for p in body["messages"][-1]["content"] if p["type"] == "image_url"]
    assert len(image_parts) == 2
    for part in image_parts:
        prefix, data = part["image_url"]["url"].split(",", 1)
        assert prefix == "data:image/png;base64" and base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    (record_path,) = (checkout / "runs" / "figstep" / "qwen2.5-vl-7b").glob("*/run.json")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["backend"]["backend"] == "openai" and record["backend"]["base_url"] == server.url
    assert record["model"]["backend"] == "openai"
    assert "sk-test-secret" not in record_path.read_text(encoding="utf-8")


def test_an_unknown_backend_option_is_a_usage_error_before_any_request(server: FakeServer, checkout: Path) -> None:
    args = ["reproduce", "figstep", "--model", "qwen2.5-vl-7b", "--base-url", server.url, "--root", str(checkout)]
    args += ["--data", str(DATA / "safebench_fixture.csv"), "--backend-option", "concurency=4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "takes no option concurency" in result.output
    assert server.count == 0 and not (checkout / "runs").exists()


def test_the_judge_model_has_its_own_server_and_never_the_targets(server: FakeServer, checkout: Path) -> None:
    pytest.importorskip("PIL")
    args = ["reproduce", "figstep", "--model", "mock-comply", "--root", str(checkout), "--limit", "2"]
    args += ["--data", str(DATA / "safebench_fixture.csv"), "--judge", "llm-lvlmkb-harmful-binary"]
    args += ["--judge-model", "gpt-4o", "--judge-base-url", server.url, "--judge-backend-option", "backoff=0.001"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert server.count == 2 and {body["model"] for body in server.bodies} == {"gpt-4o"}, "two samples, judged there"
    (record_path,) = (checkout / "runs" / "figstep" / "mock-comply").glob("*/run.json")
    (aggregate,) = json.loads(record_path.read_text(encoding="utf-8"))["aggregates"]
    assert aggregate["judge_info"]["backend"]["base_url"] == server.url


def test_the_targets_server_does_not_reach_the_judge(server: FakeServer, checkout: Path) -> None:
    pytest.importorskip("PIL")
    args = ["reproduce", "figstep", "--model", "qwen2.5-vl-7b", "--base-url", server.url, "--root", str(checkout)]
    args += ["--data", str(DATA / "safebench_fixture.csv"), "--limit", "2", "--backend-option", "backoff=0.001"]
    args += ["--judge", "llm-lvlmkb-harmful-binary", "--judge-model", "mock-comply"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert server.count == 2, "only the target's two generations went to the target's server"
    assert {body["model"] for body in server.bodies} == {"Qwen/Qwen2.5-VL-7B-Instruct"}


def test_judge_options_default_to_the_targets_device_and_dtype_only() -> None:
    target = BackendOptions(device="cpu", dtype="float32", base_url="http://127.0.0.1:9/v1", extra={"timeout": 5})
    target = dataclasses.replace(target, trust_remote_code=True, backend="openai", served_model="x")
    assert options_for_role(target, None) == BackendOptions(device="cpu", dtype="float32")
    own = BackendOptions(backend="mock", base_url="http://127.0.0.1:8/v1", extra={"concurrency": 2})
    assert options_for_role(target, own) == dataclasses.replace(own, device="cpu", dtype="float32")
    assert options_for_role(target, BackendOptions(device="cuda:1")).device == "cuda:1", "the judge's own wins"


def test_a_registered_backend_opens_lazily_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from lvlmkb.errors import LvlmkbError
    from lvlmkb.eval import registry
    from lvlmkb.eval.backends.mock import MockBackend
    from lvlmkb.eval.backends.registry import backend_class

    monkeypatch.setattr(registry, "_BACKENDS", dict(registry._BACKENDS))
    registry.register_backend("echo-copy", "lvlmkb.eval.backends.mock:MockBackend")
    assert backend_class("echo-copy") is MockBackend and "echo-copy" in registry.backends()
    with pytest.raises(LvlmkbError, match="module:Class"):
        registry.register_backend("broken", "no-colon-here")
    with pytest.raises(UsageError, match="unknown backend 'mokc'") as caught:
        backend_class("mokc")
    assert "did you mean 'mock'?" in caught.value.hint
