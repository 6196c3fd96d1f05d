"""Published numbers shown beside a run: same model, same setting, and the run's own benchmark when known."""

from __future__ import annotations

from lvlmkb.eval.context import RunContext
from lvlmkb.eval.run.runner import reported_results
from tests.contract.test_kb import report


def test_figstep_on_safebench_shows_the_500_question_table() -> None:
    found = reported_results(RunContext(report().kb), "gong2023figstep", "llava-1.5-7b", "figstep", "safebench")
    assert [(r.benchmark, r.value, r.n) for r in found] == [("SafeBench", 84.0, 500)]


def test_figstep_on_safebench_tiny_shows_the_ablation_numbers_only() -> None:
    found = reported_results(RunContext(report().kb), "gong2023figstep", "llava-1.5-13b", "figstep", "safebench-tiny")
    assert found and {r.benchmark for r in found} == {"SafeBench-Tiny"}


def test_another_setting_does_not_leak_in() -> None:
    found = reported_results(RunContext(report().kb), "gong2023figstep", "llava-1.5-7b", "baseline", "safebench")
    assert [r.value for r in found] == [57.4]


def test_a_model_without_numbers_gets_none() -> None:
    assert reported_results(RunContext(report().kb), "gong2023figstep", "mock-refuse", "figstep", "safebench") == []
