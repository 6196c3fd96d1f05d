"""Every argument is checked before a model loads, a sample is crafted or a progress bar is drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from tests.conftest import DATA


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--judge", "refusal-gcg-advbench-92"], "no judge 'refusal-gcg-advbench-92'"),
        (["--judge", "llm-siuo-safety"], "judge 'llm-siuo-safety' needs a model"),
        (["--dtype", "fp16"], "--dtype 'fp16' is not a choice"),
        (["--device", "gpu"], "--device 'gpu' is not a device"),
        (["--judge-model", "gpt-4v"], "model 'gpt-4v' has no served name\n  hint: pass --judge-served-model"),
        (["--judge-model", "mock-echo", "--judge-backend", "vllm2"], "unknown backend 'vllm2'"),
        (["--judge-model", "mock-echo", "--judge-device", "gpu"], "--judge-device 'gpu' is not a device"),
        (["--judge-model", "mock-echo", "--judge-dtype", "fp16"], "--judge-dtype 'fp16' is not a choice"),
    ],
)
def test_bad_arguments_stop_before_anything_runs(checkout: Path, extra: list[str], message: str) -> None:
    args = ["reproduce", "figstep", "--model", "mock-comply", "--root", str(checkout)]
    args += ["--data", str(DATA / "safebench_fixture.csv"), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "━" not in result.output and "Traceback" not in result.output, "no progress bar, no traceback"
    assert not (checkout / "runs").exists()


def test_a_did_you_mean_for_a_misspelt_judge(checkout: Path) -> None:
    args = [
        "reproduce",
        "figstep",
        "--model",
        "mock-comply",
        "--root",
        str(checkout),
        "--judge",
        "refusal-gcg-advbench",
    ]
    result = CliRunner().invoke(app, [*args, "--data", str(DATA / "safebench_fixture.csv")])
    assert result.exit_code == 2 and "did you mean 'refusal-gcg-advbench-29'" in result.output


def test_cuda_on_a_torch_without_it_is_a_clean_error(checkout: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    args = ["reproduce", "figstep", "--model", "tiny-llava", "--root", str(checkout), "--device", "cuda"]
    result = CliRunner().invoke(app, [*args, "--data", str(DATA / "safebench_fixture.csv")])
    assert result.exit_code == 2 and "cannot use CUDA here" in result.output and "Traceback" not in result.output
