"""``--judge-set``: each judge's settings are typed, checked before any model loads, and reach its factory."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.errors import UsageError
from lvlmkb.eval.judges.classifiers import HarmBenchClassifier
from lvlmkb.eval.judges.moderation import BeaverDamJudge
from lvlmkb.eval.judges.registry import default_registry
from tests.conftest import DATA


def test_a_key_goes_to_every_chosen_judge_that_takes_it() -> None:
    shares = default_registry().split_settings(
        ["harmbench-cls", "beaver-dam", "refusal-gcg-advbench-29"], {"revision": "abc", "threshold": 0.7}
    )
    assert shares == {"harmbench-cls": {"revision": "abc"}, "beaver-dam": {"revision": "abc", "threshold": 0.7}}


@pytest.mark.parametrize(
    ("judges", "values", "message"),
    [
        (["beaver-dam"], {"num_tokens": 5}, "no chosen judge takes --judge-set num_tokens"),
        (["refusal-gcg-advbench-29"], {"x": 1}, "no chosen judge takes --judge-set x"),
        (["beaver-dam"], {"threshold": 2}, "--judge-set for beaver-dam: threshold"),
        (["harmbench-cls"], {"template": "nope"}, "--judge-set for harmbench-cls: template"),
        (["harmbench-cls"], {"num_tokens": 0}, "num_tokens: Input should be greater than or equal to 1"),
    ],
)
def test_what_no_judge_takes_or_accepts_is_refused(judges: list[str], values: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        default_registry().split_settings(judges, values)


def test_settings_reach_the_judge() -> None:
    pytest.importorskip("torch")
    registry = default_registry()
    beaver = registry.create("beaver-dam", {"device": "cpu"}, {"threshold": 0.7, "max_words": 75})
    assert isinstance(beaver, BeaverDamJudge)
    assert beaver.describe()["threshold"] == 0.7 and beaver.describe()["max_words"] == 75
    harmbench = registry.create("harmbench-cls", {"device": "cpu"}, {"num_tokens": 256, "template": "model-card"})
    assert isinstance(harmbench, HarmBenchClassifier)
    assert harmbench.num_tokens == 256 and harmbench.template.id == "model-card"


def test_a_bad_judge_setting_stops_the_run_before_anything_runs(checkout: Path) -> None:
    args = ["reproduce", "figstep", "--model", "mock-comply", "--root", str(checkout)]
    args += ["--data", str(DATA / "safebench_fixture.csv"), "--judge", "beaver-dam", "--judge-set", "threshold=3"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "--judge-set for beaver-dam: threshold" in result.output
    assert not (checkout / "runs").exists()


def test_judges_lists_the_settings_each_judge_takes() -> None:
    result = CliRunner().invoke(app, ["judges"])
    assert result.exit_code == 0
    (line,) = [row for row in result.output.splitlines() if row.startswith("beaver-dam ")]
    assert "--judge-set checkpoint, max_length, max_words, question_field, revision, threshold" in line
