"""The run record v2: typed to its leaves, and every version-1 ``run.json`` still readable (upgraded on reading)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.eval.run.records import RECORD_VERSION, RecordError, RunRecord, read_record
from tests.conftest import DATA

V1 = DATA / "records" / "v1_run.json"
"""A record written by lvlmkb's version-1 runner (FigStep under AdaShield-S on mock-comply), paths scrubbed."""


def test_a_version_1_record_is_read_as_version_2() -> None:
    raw = json.loads(V1.read_text(encoding="utf-8"))
    record = read_record(V1)
    assert (record.record_version, record.upgraded_from) == (RECORD_VERSION, 1)
    assert record.method.id == "figstep" and record.method.kind == "attack" and record.method.setting == "figstep"
    assert record.method.config == raw["config"] and record.method.config["font_size"] == 80
    assert [d.model_dump() for d in record.method.deviations] == raw["deviations"]
    assert record.defense is not None and record.defense.kind == "defense" and record.defense.id == "adashield-s"
    assert record.defense.config == raw["defense"]["config"]
    assert record.provenance.plugin == {"font": "FreeMonoBold.ttf", "font_sha256": raw["provenance"]["font_sha256"]}
    assert record.provenance.git.commit == raw["provenance"]["git"]["commit"]
    assert record.counts.samples == 2 and record.counts.generated == 2 and record.dataset.limit == 2
    reported = record.reported[0]
    assert (reported.paper, reported.value, reported.n, reported.source) == (
        "gong2023figstep", 84.0, 500, raw["reported"][0]["source"]
    )  # fmt: skip
    assert record.aggregates[0].digest == raw["aggregates"][0]["judge_info"]["list_sha256"]
    assert record.fingerprint == raw["fingerprint"]


def test_a_version_2_record_reads_back_equal(tmp_path: Path) -> None:
    record = read_record(V1)
    path = tmp_path / "run.json"
    path.write_text(record.model_dump_json(indent=2), encoding="utf-8")
    again = read_record(path)
    assert again == record and json.loads(path.read_text())["record_version"] == 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"record_version": 3}', "record_version 3, which this lvlmkb does not know"),
        ('{"record_version": 2, "created": "x"}', "is not a valid version-2 run record"),
        ('{"created": "x"}', "is not a valid version-1 run record"),
    ],
)
def test_what_is_not_a_record_says_why(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "run.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RecordError, match=problem):
        read_record(path)


def test_a_non_finite_number_is_not_a_record(tmp_path: Path) -> None:
    data = json.loads(V1.read_text(encoding="utf-8"))
    data["reported"][0]["value"] = float("nan")
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RecordError):
        read_record(path)


def test_the_record_is_typed_to_its_leaves() -> None:
    loose = [
        name
        for name, field in RunRecord.model_fields.items()
        if "dict[str, Any]" in str(field.annotation) or str(field.annotation) == "Any"
    ]
    assert loose == [], "every section has its own model (the backend's own description is JSON values)"


def test_runs_show_upgrades_a_version_1_record_without_touching_it(kb_root: Path, runner: CliRunner) -> None:
    folder = kb_root / "runs" / "figstep" / "mock-comply" / "old"
    folder.mkdir(parents=True)
    shutil.copy(V1, folder / "run.json")
    before = (folder / "run.json").read_bytes()
    shown = runner.invoke(app, ["runs", "show", str(folder), "--root", str(kb_root)])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["upgraded_from"] == 1
    listed = runner.invoke(app, ["runs", "--root", str(kb_root), "--format", "json"])
    payload = json.loads(listed.stdout)
    assert [(run["method"], run["defense"]) for run in payload["runs"]] == [("figstep", "adashield-s")]
    assert payload["unreadable"] == []
    assert (folder / "run.json").read_bytes() == before
