"""``lvlmkb stage`` and ``lvlmkb stages``: plugins' offline steps, every argument checked before a model opens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from lvlmkb.cli import app
from lvlmkb.errors import LvlmkbError
from lvlmkb.eval import CraftedInput, Method, MethodConfig, Sample, StageContext, StageOptions, stage
from lvlmkb.eval.stages import stages_of
from tests.conftest import DATA, REPO

STAGES = {
    ("adashield-a", "train"),
    ("hades", "optimize"),
    ("imgjp", "optimize"),
    ("jailbreak-in-pieces", "optimize"),
    ("visual-adv", "optimize"),
}
TRAIN = ["adashield-a", "train", "--model", "mock-refuse", "--set", "defender=mock-comply"]
BROKEN = """\
  - id: broken-llava
    label: "A LLaVA whose weights are missing"
    family: llava
    checkpoint: lvlmkb-missing/llava
    backend: hf
"""


def invoke(*args: str, root: Path = REPO) -> Result:
    """``lvlmkb ARGS --root ROOT``."""
    return CliRunner().invoke(app, [*args, "--root", str(root)])


def assert_clean(result: Result, code: int, *messages: str) -> None:
    """The command exited with ``code``, printed every message on stderr and no traceback."""
    assert result.exit_code == code, result.output
    for message in messages:
        assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def broken_checkout(checkout: Path) -> Path:
    """The real checkout with one more hf model whose checkpoint is nowhere, so loading it fails."""
    with (checkout / "reproductions" / "models.yaml").open("a", encoding="utf-8") as handle:
        handle.write(BROKEN)
    return checkout


@pytest.fixture
def no_model_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening any backend fails the test."""

    def refuse(*_args: object, **_kwargs: object) -> Any:
        raise AssertionError("a model was opened")

    monkeypatch.setattr("lvlmkb.eval.backends.registry.open_backend", refuse)


def test_stages_lists_every_stage_with_its_keys() -> None:
    text = invoke("stages")
    assert text.exit_code == 0, text.output
    for plugin, name in STAGES:
        assert f"{plugin} {name}: " in text.stdout
    assert "stage --set keys: scenario (required)" in text.stdout
    rows = json.loads(invoke("stages", "--format", "json").stdout)
    assert {(row["plugin"], row["stage"]) for row in rows} == STAGES
    by_id = {row["plugin"]: row for row in rows}
    assert by_id["jailbreak-in-pieces"]["model"] == "none" and by_id["visual-adv"]["model"] == "white-box"
    assert by_id["hades"]["data"] and not by_id["visual-adv"]["data"]
    assert {"name": "defender", "required": True} in by_id["adashield-a"]["options"]
    assert {"corpus", "image", "epsilon"} <= set(by_id["visual-adv"]["settings"])


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["visual-ad", "optimize"], "no plugin 'visual-ad'", "did you mean 'visual-adv'?"),
        (["nothing-like-it", "optimize"], "no plugin 'nothing-like-it'", "plugins with stages: adashield-a, hades"),
        (["figstep", "optimize"], "plugin 'figstep' has no offline stage", "plugins with stages: adashield-a"),
        (["visual-adv", "optimise"], "visual-adv has no stage 'optimise'", "did you mean 'optimize'?"),
        (["adashield-a", "fit"], "adashield-a has no stage 'fit'", "stages: train"),
    ],
)
def test_an_unknown_plugin_or_stage_is_a_usage_error(
    args: list[str], message: str, hint: str, tmp_path: Path, no_model_opens: None
) -> None:
    assert_clean(invoke("stage", *args, "--out", str(tmp_path / "out")), 2, f"error: {message}", f"hint: {hint}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "scenrio=Animal"], "--set scenrio: hades optimize takes no setting 'scenrio'"),
        (["--set", "scenario=Animal", "--set", "alpha=0"], "bad --set for hades optimize: alpha:"),
        (["--set", "scenario=Atlantis"], "bad --set for hades optimize: scenario:"),
        (["--set", "iterations=2"], "bad --set for hades optimize: scenario: Field required"),
        (["--set", "scenario=Animal", "--device", "gpu"], "--device 'gpu' is not a device"),
        (["--set", "scenario=Animal", "--dtype", "fp16"], "--dtype 'fp16' is not a choice"),
    ],
)
def test_bad_settings_stop_before_any_model_loads(
    broken_checkout: Path, args: list[str], message: str, tmp_path: Path, no_model_opens: None
) -> None:
    out = tmp_path / "adv"
    base = ["stage", "hades", "optimize", "--model", "broken-llava", "--data", str(DATA / "datasets" / "hades")]
    assert_clean(invoke(*base, "--out", str(out), *args, root=broken_checkout), 2, message)
    assert not out.exists()


def test_the_broken_model_would_fail_to_load(broken_checkout: Path, tmp_path: Path) -> None:
    """What the test above proves: with good settings the same alias gets as far as loading, and fails there."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    base = ["stage", "hades", "optimize", "--model", "broken-llava", "--data", str(DATA / "datasets" / "hades")]
    args = [*base, "--out", str(tmp_path / "adv"), "--set", "scenario=Animal", "--set", "iterations=1"]
    assert_clean(invoke(*args, root=broken_checkout), 1, "cannot load checkpoint 'lvlmkb-missing/llava'")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["visual-adv", "optimize"], "visual-adv optimize needs --model"),
        (["visual-adv", "optimize", "--model", "tiny-llava", "--data", "x.csv"], "reads no --data or --limit"),
        (["jailbreak-in-pieces", "optimize", "--model", "tiny-llava"], "jailbreak-in-pieces optimize takes no --model"),
        (["jailbreak-in-pieces", "optimize", "--limit", "3"], "reads no --data or --limit"),
        (["adashield-a", "train", "--model", "mock-refuse"], "bad --set for adashield-a train: defender: Field"),
        (
            ["adashield-a", "train", "--model", "mock-refuse", "--set", "defender=mock-complies"],
            "--set defender=mock-complies: no model 'mock-complies'",
        ),
        (["hades", "optimize", "--model", "no-such-model", "--set", "scenario=Animal"], "no model 'no-such-model'"),
        ([*TRAIN, "--set", "attack=figstp"], "no attack or benchmark 'figstp'\n  hint: did you mean 'figstep'?"),
        ([*TRAIN, "--set", "attack_config={font_size: big}"], "bad settings for figstep: font_size:"),
        (
            ["visual-adv", "optimize", "--model", "qwen2.5-vl-7b", "--base-url", "http://127.0.0.1:9/v1"],
            "model 'qwen2.5-vl-7b' runs on the 'openai' backend, which gives no gradients",
        ),
        ([*TRAIN, "--backend", "vllm"], "unknown backend 'vllm'"),
        ([*TRAIN, "--defender-device", "gpu"], "--set defender=mock-comply: --defender-device 'gpu' is not a device"),
        ([*TRAIN, "--defender-dtype", "fp16"], "--defender-dtype 'fp16' is not a choice"),
        ([*TRAIN, "--defender-backend", "vllm"], "--set defender=mock-comply: defender model: unknown backend 'vllm'"),
    ],
)
def test_arguments_the_stage_does_not_take_are_refused(
    args: list[str], message: str, tmp_path: Path, no_model_opens: None
) -> None:
    result = invoke("stage", *args, "--out", str(tmp_path / "out"))
    assert result.exit_code in (1, 2) and message in result.stderr, result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_a_white_box_stage_refuses_a_model_without_gradients(tmp_path: Path, no_model_opens: None) -> None:
    args = ["stage", "visual-adv", "optimize", "--model", "mock-comply", "--out", str(tmp_path / "out")]
    hint = "hint: visual-adv optimize is white-box: choose a model with `backend: hf`"
    assert_clean(invoke(*args), 2, "model 'mock-comply' runs on the 'mock' backend, which gives no gradients", hint)
    assert not (tmp_path / "out").exists()


def test_json_names_what_the_stage_wrote(tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    split = tmp_path / "split.jsonl"
    paths = [f"data/FigStep/08-Legal_Opinion/query_ForbidQI_8_{t}_6.png" for t in (1, 2, 3)]
    split.write_text(json.dumps({"08-Legal_Opinion": {"train": paths[:1], "valid": paths[1:]}}) + "\n", "utf-8")
    args = ["stage", "adashield-a", "train", "--model", "mock-refuse", "--data", str(DATA / "safebench_fixture.csv")]
    args += ["--set", "defender=mock-comply", "--set", f"split={split}", "--out", str(tmp_path / "out")]
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload == {
        "plugin": "adashield-a",
        "stage": "train",
        "out": str(tmp_path / "out"),
        "result": str(tmp_path / "out" / "pool.json"),
    }
    assert (tmp_path / "out" / "pool.json").is_file() and "training and 2 validation samples" in result.stderr
    again = invoke(*args, "--defender-device", "cpu", "--format", "json")
    assert again.exit_code == 0 and json.loads(again.stdout) == payload, "a defender's own device resumes the pool"


class _Options(StageOptions):
    steps: int = 1


class _StepsConfig(MethodConfig):
    steps: int = 2


class _Base(Method[MethodConfig]):
    def craft(self, sample: Sample) -> CraftedInput:
        return CraftedInput(sample.id, sample.category, "")

    @stage("first", summary="one", model="none")
    def first(self, ctx: StageContext) -> Path:
        return ctx.out

    @stage("second", summary="two", options=_Options)
    def second(self, ctx: StageContext, options: _Options) -> Path:
        return ctx.out / str(options.steps)


def test_stages_of_reads_the_class_and_its_bases() -> None:
    class Child(_Base):
        @stage("third", summary="three", data=True)
        def third(self, ctx: StageContext) -> Path:
            return ctx.out

    found = stages_of(Child)
    assert list(found) == ["first", "second", "third"]
    assert found["second"].options is _Options and found["second"].option_keys() == ["steps"]
    assert (found["first"].model, found["third"].data, found["second"].attribute) == ("none", True, "second")


def test_declaration_mistakes_are_caught() -> None:
    with pytest.raises(LvlmkbError, match="model_options who are not fields"):
        stage("x", summary="x", options=_Options, model_options=("who",))

    class Twice(_Base):
        @stage("first", summary="again")
        def other(self, ctx: StageContext) -> Path:
            return ctx.out

        @stage("first", summary="and again")
        def another(self, ctx: StageContext) -> Path:
            return ctx.out

    with pytest.raises(LvlmkbError, match="declares the stage 'first' twice"):
        stages_of(Twice)

    class Shadowing(Method[_StepsConfig]):
        def craft(self, sample: Sample) -> CraftedInput:
            return CraftedInput(sample.id, sample.category, "")

        @stage("go", summary="go", options=_Options)
        def go(self, ctx: StageContext, options: _Options) -> Path:
            return ctx.out

    with pytest.raises(LvlmkbError, match="options steps are config keys"):
        stages_of(Shadowing)


def test_a_white_box_stage_refuses_a_family_it_cannot_serve(tmp_path: Path, no_model_opens: None) -> None:
    args = ["stage", "visual-adv", "optimize", "--model", "llava-next", "--out", str(tmp_path / "out")]
    message = "model 'llava-next' (llava-next family) is not served by the white-box path"
    assert_clean(invoke(*args), 2, message, "the inputs of gemma-3, janus and llava models only")
    assert not (tmp_path / "out").exists()
