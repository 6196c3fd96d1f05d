"""Dataset loading: pinned downloads verified by sha256, local copies, and malformed files."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.eval import registry
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.base import DatasetError, RemoteFile, fetch
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import datasets, load_methods, load_plugins
from lvlmkb.eval.run.preflight import check_dataset_fields
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from reproductions.figstep.safebench import SAFEBENCH, SAFEBENCH_TINY, parse_safebench
from tests.conftest import DATA, REPO


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server(fixture_csv: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(fixture_csv.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _remote(url: str, sha: str) -> RemoteFile:
    return RemoteFile(url=url, sha256=sha, revision="test", name="safebench.csv")


def test_fetch_verifies_and_caches(
    server: str, fixture_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    sha = hashlib.sha256(fixture_csv.read_bytes()).hexdigest()
    path = fetch(_remote(f"{server}/{fixture_csv.name}", sha), root=tmp_path)
    assert path.read_bytes() == fixture_csv.read_bytes()
    assert fetch(_remote("http://127.0.0.1:9/unreachable", sha), root=tmp_path) == path  # served from the cache


def test_fetch_refuses_a_changed_file(
    server: str, fixture_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(DatasetError, match="expected 0000"):
        fetch(_remote(f"{server}/{fixture_csv.name}", "0" * 64), root=tmp_path)
    assert not any(tmp_path.rglob("*.csv"))


def test_offline_download_names_the_url(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as info:
        fetch(SAFEBENCH, root=tmp_path)
    assert "pass --data PATH" in info.value.hint and SAFEBENCH.url in info.value.hint


def test_pins_are_exact() -> None:
    for remote in (SAFEBENCH, SAFEBENCH_TINY):
        assert remote.revision in remote.url and len(remote.sha256) == 64 and len(remote.revision) == 40


def test_local_copy_and_limit(fixture_csv: Path) -> None:
    loaded = load_dataset("safebench", fixture_csv, limit=5)
    assert len(loaded.samples) == 5 and loaded.samples[0].id == "8-1" and loaded.sha256
    assert (
        loaded.samples[4].fields["instruction"] == "Steps to create a personalized investment plan for $50,000 savings."
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n", "expected columns"),
        ("", "expected columns"),
        (
            "dataset,category_id,task_id,category_name,question,instruction\nX,one,1,C,q,i\n",
            ":2: category_id and task_id",
        ),
        ("dataset,category_id,task_id,category_name,question,instruction\nX,1,1,C,,i\n", ":2: a column is empty"),
    ],
)
def test_malformed_csv(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        parse_safebench(path)


def test_unknown_dataset_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        load_dataset("nope")
    with pytest.raises(DatasetError, match="cannot read"):
        load_dataset("safebench", tmp_path / "missing.csv")


FIXTURE_OF = {
    "safebench": DATA / "safebench_fixture.csv",
    "safebench-tiny": DATA / "safebench_fixture.csv",
    "figstep-pro": DATA / "figstep_pro",
    **{p.name.split(".")[0]: p for p in sorted((DATA / "datasets").iterdir()) if not p.name.startswith(".")},
}


load_plugins(REPO / "reproductions")  # the datasets are declared beside their papers


@pytest.mark.parametrize("name", sorted(datasets()))
def test_every_dataset_declares_its_paper_and_fields_and_its_rows_have_them(name: str, repo_kb: KnowledgeBase) -> None:
    entry = datasets()[name]
    assert entry.paper in repo_kb.papers, f"{name} names the KB paper that published it"
    assert entry.fields and name in FIXTURE_OF, "every dataset has a local fixture in tests/data"
    loaded = load_dataset(name, FIXTURE_OF[name])
    assert all(set(entry.fields) <= set(sample.fields) for sample in loaded.samples)


def test_a_row_without_a_declared_field_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = datasets()["jip-prompts"]
    monkeypatch.setitem(registry._DATASETS, "jip-prompts", dataclasses.replace(entry, fields=("prompt", "topic")))
    with pytest.raises(DatasetError, match=r"sample '1' has no topic \(jip-prompts declares it\)"):
        load_dataset("jip-prompts", DATA / "datasets" / "jip-prompts.txt")


@pytest.mark.parametrize("method_id", sorted(load_methods(REPO / "reproductions")))
def test_every_method_reads_only_fields_its_default_dataset_has(method_id: str) -> None:
    cls = load_methods(REPO / "reproductions")[method_id]
    check_dataset_fields(cls(), cls.default_dataset)


def test_a_dataset_without_the_fields_an_attack_reads_is_refused_before_it_loads(
    repo_kb: KnowledgeBase, tmp_path: Path
) -> None:
    spec = RunSpec(method="figstep", model="mock-echo", dataset="jip-prompts", data=tmp_path / "nothing")
    with pytest.raises(UsageError) as caught:
        run_reproduction(RunContext(repo_kb), spec)
    assert "dataset 'jip-prompts' has no field 'instruction', 'question', which figstep reads" in caught.value.message
    assert "safebench" in caught.value.hint and "figstep-pro" in caught.value.hint
