"""A run folder belongs to one configuration: no run replaces another's record or a user's file."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.base import GenerationRequest, GenerationResponse, GenerationSettings
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.run.runner import RunInterruptedError, RunSpec, run_reproduction
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from tests.conftest import DATA, REPO

SPEC = RunSpec(method="figstep", model="mock-comply", data=DATA / "safebench_fixture.csv", limit=2)


@pytest.fixture
def kb_root(kb_root: Path) -> Path:
    shutil.copytree(REPO / "reproductions", kb_root / "reproductions", dirs_exist_ok=True)
    return kb_root


def _run(kb_root: Path, spec: RunSpec) -> Path:
    pytest.importorskip("PIL")
    kb, _ = open_kb(Project(kb_root))
    return run_reproduction(RunContext(kb), spec, backend=MockBackend("comply")).out


def test_other_settings_get_their_own_default_folder(kb_root: Path) -> None:
    long = _run(kb_root, SPEC)
    short = _run(kb_root, dataclasses.replace(SPEC, settings=GenerationSettings(max_new_tokens=32)))
    typo = _run(kb_root, dataclasses.replace(SPEC, config={"font_size": 60}))
    assert len({long, short, typo}) == 3
    assert all((folder / "run.json").is_file() and (folder / "config.json").is_file() for folder in (long, short, typo))
    assert _run(kb_root, SPEC) == long, "the same configuration resumes in its own folder"


def test_an_explicit_out_of_another_configuration_is_refused_and_kept(kb_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _run(kb_root, dataclasses.replace(SPEC, out=out))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    other = dataclasses.replace(SPEC, out=out, settings=GenerationSettings(max_new_tokens=32), fresh=True)
    with pytest.raises(UsageError, match="holds a run of another configuration"):
        _run(kb_root, other)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("content", ['{"mine": true}\n', "not json", "[]"])
def test_a_users_own_run_json_is_never_overwritten(kb_root: Path, tmp_path: Path, content: str) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "run.json").write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match="another configuration"):
        _run(kb_root, dataclasses.replace(SPEC, out=out))
    assert (out / "run.json").read_text(encoding="utf-8") == content
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


def test_the_record_names_its_configuration(kb_root: Path) -> None:
    out = _run(kb_root, SPEC)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert record["fingerprint"] == config["fingerprint"] and out.name.endswith(config["fingerprint"][:8])
    assert config["configuration"]["method"]["id"] == "figstep"
    assert config["configuration"]["generation"]["max_new_tokens"] == GenerationSettings().max_new_tokens


class InterruptingBackend(MockBackend):
    """Answers the first batch, then behaves as if the user pressed Ctrl-C."""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        if self.calls:
            raise KeyboardInterrupt
        self.calls += 1
        return super().generate(requests)

    calls = 0


def test_ctrl_c_reports_what_is_cached_and_the_next_run_resumes(kb_root: Path, tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    kb, _ = open_kb(Project(kb_root))
    spec = dataclasses.replace(SPEC, limit=4, batch_size=2, out=tmp_path / "run")
    with pytest.raises(RunInterruptedError, match=r"interrupted: 2/4 requests cached") as caught:
        run_reproduction(RunContext(kb), spec, backend=InterruptingBackend("comply"))
    assert caught.value.exit_code == 130 and "again to resume" in caught.value.hint
    resumed = run_reproduction(RunContext(kb), spec, backend=MockBackend("comply"))
    assert resumed.model_calls == 2 and resumed.record.counts.samples == 4
