"""Ids never become paths outside their folder, outputs never clobber what lvlmkb does not own, links are refused."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lvlmkb.errors import LvlmkbError, NotFoundError, UsageError
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.base import DatasetError, Sample, inside
from lvlmkb.eval.datasets.registry import LoadedDataset, load_dataset
from lvlmkb.eval.plugin import CraftedInput, Method, attack
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.eval.run.runs import find_runs
from lvlmkb.kb.contribute.draft import check_id
from lvlmkb.kb.validate import open_kb, validate
from lvlmkb.project import Project
from lvlmkb.publish.site.build import MARKER, SiteBuildError, check_out_dir, stage
from reproductions.jailbreakv.dataset import REQUIRED, parse_jailbreakv
from tests.conftest import DATA, REPO
from tests.security.support import calls, dotted, paper_yaml, python_files, run_record

SECRET = "secret-outside-the-checkout"
BAD_IDS = ["../evil", "a/b", "/abs", "x\0y", "abc\n", "..", "UPPER", ""]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the knowledge base that nothing may read, publish or overwrite."""
    path = tmp_path / "outside" / "secret.yaml"
    path.parent.mkdir()
    path.write_text(paper_yaml(id="doe2024leak", title=SECRET, arxiv="2403.99999"), encoding="utf-8")
    return path


@pytest.fixture
def repro_kb(kb_root: Path) -> Path:
    shutil.copytree(REPO / "reproductions", kb_root / "reproductions", dirs_exist_ok=True)
    return kb_root


# --- ids -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_IDS)
def test_paper_ids_must_be_slugs(kb_root: Path, bad: str) -> None:
    kb, _ = open_kb(Project(kb_root))
    with pytest.raises(UsageError, match="not a slug"):
        check_id(bad, kb)


@pytest.mark.parametrize("bad", BAD_IDS)
def test_plugin_ids_must_be_slugs(bad: str) -> None:
    class Evil(Method):
        def craft(self, sample: Sample) -> CraftedInput:
            return CraftedInput(sample.id, sample.category, "")

    with pytest.raises(LvlmkbError, match="not a slug"):
        attack(id=bad, paper="x", version=1, dataset="safebench", judges=[])(Evil)


@pytest.mark.parametrize("alias", ["../../../escape", "../../x/../../escape", "a/b"])
def test_an_unknown_model_never_becomes_a_run_folder(repro_kb: Path, alias: str) -> None:
    (repro_kb / "runs" / "figstep").mkdir(parents=True)  # an earlier run: ".." now resolves through it
    victim = (repro_kb / "runs" / "figstep" / alias / "safebench-limit1" / "generations.jsonl").resolve()
    outside_runs = not victim.is_relative_to(repro_kb / "runs")
    if outside_runs:  # what --fresh would delete if the alias became part of the path
        victim.parent.mkdir(parents=True)
        victim.write_text("not lvlmkb's\n", encoding="utf-8")
    kb, _ = open_kb(Project(repro_kb))
    spec = RunSpec(method="figstep", model=alias, data=DATA / "safebench_fixture.csv", limit=1, fresh=True)
    with pytest.raises(NotFoundError):
        run_reproduction(RunContext(kb), spec)
    assert list((repro_kb / "runs").rglob("*")) == [repro_kb / "runs" / "figstep"]
    assert victim.is_file() == outside_runs
    assert not outside_runs or victim.read_text(encoding="utf-8") == "not lvlmkb's\n"


def test_reproduce_out_refuses_a_folder_that_is_not_a_run(repro_kb: Path, tmp_path: Path) -> None:
    from lvlmkb.eval.backends.mock import MockBackend

    kb, _ = open_kb(Project(repro_kb))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    spec = RunSpec(method="figstep", model="mock-comply", data=DATA / "safebench_fixture.csv", limit=1, out=mine)
    for out in (mine, repro_kb, mine / "notes.txt"):
        with pytest.raises(UsageError, match=r"is not a folder|holds files lvlmkb did not write"):
            run_reproduction(
                RunContext(kb), dataclasses.replace(spec, out=out, fresh=True), backend=MockBackend("comply")
            )
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"] and not (repro_kb / "run.json").exists()
    run = tmp_path / "run"
    run_reproduction(RunContext(kb), dataclasses.replace(spec, out=run), backend=MockBackend("comply"))
    again = run_reproduction(
        RunContext(kb), dataclasses.replace(spec, out=run, fresh=True), backend=MockBackend("comply")
    )
    assert again.out == run and (run / "run.json").is_file()


def test_craft_keeps_dataset_ids_inside_out(repro_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lvlmkb.eval.run import craft

    real = load_dataset("safebench", DATA / "safebench_fixture.csv", limit=4)
    ids = ["../../escape", "/abs/escape", "a\\b", "8-1"]
    samples = [dataclasses.replace(s, id=i) for s, i in zip(real.samples, ids, strict=True)]

    def fake_load(name: str, data: Path | None = None, limit: int | None = None) -> LoadedDataset:
        return dataclasses.replace(real, samples=samples)

    monkeypatch.setattr(craft, "load_dataset", fake_load)
    kb, _ = open_kb(Project(repro_kb))
    out = tmp_path / "deep" / "er" / "out"
    assert craft.craft_to_folder(kb, "figstep", out, None, None, None, {}) == 4
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert len([name for name in written if name.endswith(".png")]) == 4 and "8-1-0.png" in written
    assert all("/" not in name for name in written)
    assert [p for p in tmp_path.rglob("*escape*") if out not in p.parents] == []
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [m["sample_id"] for m in manifest] == ids and all((out / m["images"][0]).is_file() for m in manifest)


# --- site build output ---------------------------------------------------------------------------


def test_site_out_refuses_what_it_does_not_own(kb_root: Path, tmp_path: Path) -> None:
    project = Project(kb_root)
    (kb_root / "site" / "docs").mkdir(parents=True)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine", encoding="utf-8")
    link = tmp_path / "link-to-root"
    link.symlink_to(kb_root, target_is_directory=True)
    refused = [kb_root, kb_root / "site", kb_root / "papers" / "x", kb_root / "taxonomy", link, mine, mine / "keep.txt"]
    for out in refused:
        with pytest.raises(UsageError):
            check_out_dir(project, out)
    assert (mine / "keep.txt").read_text(encoding="utf-8") == "mine"
    owned = tmp_path / "owned"
    owned.mkdir()
    (owned / MARKER).write_text("written by lvlmkb site build\n", encoding="utf-8")
    assert check_out_dir(project, owned) == owned.resolve()
    assert check_out_dir(project, tmp_path / "new") == (tmp_path / "new").resolve()


@pytest.mark.parametrize("where", ["docs/leak.md", "docs", "mkdocs.yml", "staging"])
def test_site_staging_refuses_links(kb_root: Path, outside: Path, where: str) -> None:
    site = kb_root / "site"
    (site / "docs").mkdir(parents=True)
    (site / "mkdocs.yml").write_text((REPO / "site" / "mkdocs.yml").read_text(encoding="utf-8"), encoding="utf-8")
    staging = kb_root / "build" / "site-src"
    if where == "staging":
        staging.parent.mkdir()
        staging.symlink_to(outside.parent, target_is_directory=True)
    else:
        target = site / where
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        target.symlink_to(outside if where != "docs" else outside.parent)
    kb, _ = open_kb(Project(kb_root))
    with pytest.raises(SiteBuildError, match="link"):
        stage(Project(kb_root), kb, staging, kb_root / "build" / "site")
    assert SECRET in outside.read_text(encoding="utf-8") and not (kb_root / "build" / "site").exists()
    assert not (staging / "docs").exists()  # nothing was copied, nothing under the link was deleted


# --- links in the knowledge base -----------------------------------------------------------------


def test_a_linked_paper_is_refused(kb_root: Path, outside: Path) -> None:
    (kb_root / "papers" / "doe2024leak.yaml").symlink_to(outside)
    report = validate(Project(kb_root))
    messages = [d.render() for d in report.diagnostics]
    assert any(m.startswith("papers/doe2024leak.yaml") and "symbolic link" in m for m in messages), messages
    assert "doe2024leak" not in report.kb.papers and SECRET not in "\n".join(messages)


def test_a_papers_folder_linked_outside_is_refused(kb_root: Path, outside: Path) -> None:
    shutil.rmtree(kb_root / "papers")
    (kb_root / "papers").symlink_to(outside.parent, target_is_directory=True)
    report = validate(Project(kb_root))
    assert any("links outside the checkout" in d.message for d in report.diagnostics)
    assert not report.kb.papers


@pytest.mark.parametrize("relative", ["taxonomy/evil.yaml", "reproductions/models.yaml"])
def test_linked_taxonomy_and_registry_files_are_refused(kb_root: Path, tmp_path: Path, relative: str) -> None:
    target = kb_root / relative
    copy = tmp_path / "copy.yaml"
    copy.write_text(target.read_text(encoding="utf-8") if target.exists() else "nodes: []\n", encoding="utf-8")
    target.unlink(missing_ok=True)
    target.symlink_to(copy)
    report = validate(Project(kb_root))
    assert any(d.path == relative and "symbolic link" in d.message for d in report.diagnostics)


def _write_run(folder: Path, **changes: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps(run_record(**changes)), encoding="utf-8")


def test_run_records_are_not_read_through_links(kb_root: Path, tmp_path: Path) -> None:
    _write_run(tmp_path / "elsewhere" / "x", method={"id": "leaked", "setting": ""})
    _write_run(kb_root / "runs" / "real")
    (kb_root / "runs" / "linked").mkdir()
    (kb_root / "runs" / "linked" / "run.json").symlink_to(tmp_path / "elsewhere" / "x" / "run.json")
    (kb_root / "runs" / "folder-link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    runs, unreadable = find_runs(kb_root)
    assert [r.folder.name for r in runs] == ["real"] and unreadable == ["runs/linked/run.json"]
    shutil.rmtree(kb_root / "runs")
    (kb_root / "runs").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert find_runs(kb_root) == ([], ["runs"])


# --- dataset files -------------------------------------------------------------------------------


def test_inside_refuses_paths_that_leave_the_folder(tmp_path: Path, outside: Path) -> None:
    folder = tmp_path / "data"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "ok.png").write_bytes(b"x")
    (folder / "images" / "link.png").symlink_to(outside)
    assert inside(folder, "images/ok.png", "f") == folder / "images" / "ok.png"
    for name in ["../outside/secret.yaml", str(outside), "images/../../outside/secret.yaml", "images/link.png", "a\0b"]:
        with pytest.raises(DatasetError, match="leads outside"):
            inside(folder, name, "data.csv:2")


def _jailbreakv_csv(folder: Path, image_path: str) -> Path:
    row = {name: "x" for name in REQUIRED} | {"id": "1", "image_path": image_path}
    path = folder / "mini.csv"
    path.write_text(",".join(REQUIRED) + "\n" + ",".join(row[n] for n in REQUIRED) + "\n", encoding="utf-8")
    return path


def test_a_dataset_file_cannot_point_outside_its_folder(tmp_path: Path, outside: Path) -> None:
    folder = tmp_path / "jbv"
    (folder / "figstep").mkdir(parents=True)
    (folder / "figstep" / "1.png").write_bytes(b"png")
    (folder / "figstep" / "evil.png").symlink_to(outside)
    assert parse_jailbreakv(_jailbreakv_csv(folder, "figstep/1.png"))[0].image == folder / "figstep" / "1.png"
    for image_path in ["../outside/secret.yaml", str(outside), "figstep/evil.png"]:
        with pytest.raises(DatasetError, match="leads outside"):
            parse_jailbreakv(_jailbreakv_csv(folder, image_path))


CHECKED_EXTRACTIONS = {"reproductions/figstep/pro_dataset.py", "reproductions/vlsbench/dataset.py"}
"""Files that open an archive, each with a path check and a hostile-archive test: FigStep-Pro's released pieces
accept only ``image_I_splits/image_I_split_J.png`` members, under 64 MiB in all, written into the cache
(``tests/reproductions/figstep/test_pro.py::test_the_zip_is_checked_and_unpacked_into_the_cache``); VLSBench's
``imgs.tar`` from the hub unpacks only regular ``imgs/<name>.png|jpg`` members, never a link, into the cache
(``tests/eval/datasets/test_hub.py::test_vlsbench_refuses_a_hostile_archive``)."""


def test_no_archive_is_extracted_unchecked() -> None:
    """No zip-slip: an archive is opened only where its member names are checked and a test feeds it a hostile one."""
    extracting = {"extractall", "extract", "unpack_archive", "ZipFile", "TarFile", "tarfile.open"}
    found = {
        path.relative_to(REPO).as_posix()
        for path in python_files()
        for call in calls(path)
        if dotted(call.func).split(".")[-1] in extracting or dotted(call.func).endswith("tarfile.open")
    }
    assert found == CHECKED_EXTRACTIONS
    source = (REPO / "reproductions" / "figstep" / "pro_dataset.py").read_text(encoding="utf-8")
    assert "extractall" not in source and "PIECE.fullmatch(m.filename)" in source
    source = (REPO / "reproductions" / "vlsbench" / "dataset.py").read_text(encoding="utf-8")
    assert "extractall" not in source and "MEMBER.fullmatch(member.name)" in source
    assert 'tarfile.open(archive, "r:")' in source, "uncompressed only: what is written cannot exceed the archive"


# --- export --------------------------------------------------------------------------------------


def test_export_out_never_overwrites_or_follows_a_link(runner: Any, kb_root: Path, tmp_path: Path) -> None:
    from lvlmkb.cli import app

    mine = tmp_path / "mine.bib"
    mine.write_text("mine", encoding="utf-8")
    args = ["export", "bibtex", "--root", str(kb_root), "--out"]
    refused = runner.invoke(app, [*args, str(mine)])
    assert refused.exit_code == 2 and mine.read_text(encoding="utf-8") == "mine"
    link = tmp_path / "link.bib"
    link.symlink_to(mine)
    assert runner.invoke(app, [*args, str(link)]).exit_code == 2
    assert runner.invoke(app, [*args, str(link), "--force"]).exit_code == 0
    assert mine.read_text(encoding="utf-8") == "mine" and not link.is_symlink() and "@" in link.read_text()
