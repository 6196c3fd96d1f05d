"""Datasets from the Hugging Face hub: pinned revisions, hashes fixed on first use, and clean failures.

The hub cannot be reached from the test machines, so snapshots are laid out in a temporary Hugging Face
cache exactly as ``huggingface_hub`` writes them and read with ``HF_HUB_OFFLINE=1``; the first download of
an unconfirmed revision goes to a loopback server in ``test_hub_server.py``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lvlmkb.eval.datasets.base import DatasetError
from lvlmkb.eval.datasets.hub import HubPin, extracted_dir, fetch_hub, ledger_path, origin_of
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import load_plugins
from reproductions.jailbreakv import dataset as jailbreakv
from reproductions.vlsbench import dataset as vlsbench
from tests.conftest import DATA, REPO

pytest.importorskip("huggingface_hub")
load_plugins(REPO / "reproductions")
REVISION = "0123456789abcdef0123456789abcdef01234567"
FIXTURES = DATA / "datasets"


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty Hugging Face cache and lvlmkb cache, read offline."""
    from huggingface_hub import constants

    cache = tmp_path / "hf"
    monkeypatch.setenv("LVLMKB_CACHE", str(tmp_path / "lvlmkb"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    yield cache


def snapshot(cache: Path, repo_id: str, revision: str, files: dict[str, bytes | Path]) -> Path:
    """Lay out a dataset snapshot as ``huggingface_hub`` stores it: blobs/<sha256>, and snapshots/<revision>/<name>
    as a relative link to its blob (refs/main names the revision)."""
    repo = cache / ("datasets--" + repo_id.replace("/", "--"))
    folder = repo / "snapshots" / revision
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.read_bytes() if isinstance(content, Path) else content
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        path.symlink_to(os.path.relpath(blob, path.parent))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(revision, encoding="utf-8")
    return folder


def test_an_unconfirmed_hash_is_fixed_on_first_use_and_checked_after(hub_cache: Path) -> None:
    folder = snapshot(hub_cache, "org/set", REVISION, {"data/a.csv": b"id\n1\n"})
    pin = HubPin("org/set", REVISION, {"data/a.csv": None}, source="test", hint="pass --data DIR")
    first = fetch_hub(pin)
    assert first.folder == folder and first.revision == REVISION
    assert first.sha256 == {"data/a.csv": hashlib.sha256(b"id\n1\n").hexdigest()} and "data/a.csv" in first.first_seen
    ledger = json.loads(ledger_path("org/set").read_text(encoding="utf-8"))
    assert ledger["files"] == {REVISION: first.sha256} and "revision" not in ledger  # pinned, not seen
    assert fetch_hub(pin).sha256 == first.sha256
    (folder / "data" / "a.csv").unlink()
    (folder / "data" / "a.csv").write_bytes(b"id\n2\n")
    with pytest.raises(DatasetError, match="not the first seen") as err:
        fetch_hub(pin)
    assert "--data" in (err.value.hint or "")


def test_a_new_revision_starts_afresh_and_a_bad_ledger_is_a_clean_error(hub_cache: Path) -> None:
    other = "1" * 40
    snapshot(hub_cache, "org/set", REVISION, {"a.csv": b"v1"})
    snapshot(hub_cache, "org/set", other, {"a.csv": b"v2"})
    fetch_hub(HubPin("org/set", REVISION, {"a.csv": None}))
    moved = fetch_hub(HubPin("org/set", other, {"a.csv": None}))  # the pin moved on: v2 is not "damaged"
    assert moved.sha256["a.csv"] == hashlib.sha256(b"v2").hexdigest()
    ledger = json.loads(ledger_path("org/set").read_text(encoding="utf-8"))
    assert set(ledger["files"]) == {REVISION, other}
    ledger_path("org/set").write_text(json.dumps({"files": {"a.csv": 5}, "first_seen": []}), encoding="utf-8")
    with pytest.raises(DatasetError, match="is not lvlmkb's"):
        fetch_hub(HubPin("org/set", REVISION, {"a.csv": None}))


def test_a_confirmed_hash_must_match(hub_cache: Path) -> None:
    snapshot(hub_cache, "org/set", REVISION, {"a.json": b"[]"})
    good = HubPin("org/set", REVISION, {"a.json": hashlib.sha256(b"[]").hexdigest()})
    assert fetch_hub(good).first_seen == {}
    bad = HubPin("org/set", REVISION, {"a.json": "0" * 64})
    with pytest.raises(DatasetError, match="not the pinned"):
        fetch_hub(bad)
    assert not ledger_path("org/set").exists(), "a confirmed pin writes no ledger"


def test_missing_files_and_an_empty_cache_are_clean_errors(hub_cache: Path) -> None:
    pin = HubPin("org/set", REVISION, {"a.json": None}, hint="pass --data DIR")
    with pytest.raises(DatasetError, match="not in the local Hugging Face cache") as err:
        fetch_hub(pin)
    assert err.value.hint == "pass --data DIR"
    snapshot(hub_cache, "org/set", REVISION, {"a.json": b"[]"})
    with pytest.raises(DatasetError, match=r"lacks img/1\.png"):
        fetch_hub(pin, ["img/1.png"])
    with pytest.raises(DatasetError, match="cannot look up the current revision"):
        fetch_hub(HubPin("org/other", None, {"a.json": None}))
    with pytest.raises(ValueError, match="full 40-hex commit"):
        HubPin("org/set", "abc1234", {})


def test_jailbreakv_downloads_the_csv_then_only_the_images_it_names(hub_cache: Path) -> None:
    source = FIXTURES / "jailbreakv-28k-mini"
    files: dict[str, bytes | Path] = {
        f"JailBreakV_28K/{p.relative_to(source).as_posix()}": p for p in source.rglob("*") if p.is_file()
    }
    files["JailBreakV_28K/figstep/not_named.png"] = b"unused"
    snapshot(hub_cache, jailbreakv.HF_DATASET, jailbreakv.HUB_REVISION, files)
    loaded = load_dataset("jailbreakv-28k-mini")
    assert len(loaded.samples) == 3 and all(s.image is not None and s.image.is_file() for s in loaded.samples)
    origin = origin_of(loaded.path)
    assert origin is not None and origin["hub"] == jailbreakv.HF_DATASET
    assert origin["revision"] == jailbreakv.HUB_REVISION
    assert list(origin["unconfirmed"]) == ["JailBreakV_28K/mini_JailBreakV_28K.csv"]
    assert origin["sha256"] == {"JailBreakV_28K/mini_JailBreakV_28K.csv": loaded.sha256}
    assert origin_of(FIXTURES / "jailbreakv-28k-mini" / "mini_JailBreakV_28K.csv") is None


def test_a_snapshot_link_that_leaves_the_repository_is_refused(hub_cache: Path, tmp_path: Path) -> None:
    source = FIXTURES / "jailbreakv-28k-mini"
    files: dict[str, bytes | Path] = {
        f"JailBreakV_28K/{p.relative_to(source).as_posix()}": p for p in source.rglob("*") if p.is_file()
    }
    folder = snapshot(hub_cache, jailbreakv.HF_DATASET, jailbreakv.HUB_REVISION, files)
    outside = tmp_path / "outside.png"
    outside.write_bytes((source / "figstep" / "query_1.png").read_bytes())
    image = folder / "JailBreakV_28K" / "figstep" / "query_1.png"
    image.unlink()
    image.symlink_to(outside)
    with pytest.raises(DatasetError, match="leads outside"):
        load_dataset("jailbreakv-28k-mini")


def _tar(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as bundle:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            bundle.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            bundle.addfile(info)
    return buffer.getvalue()


def _first_seen_revision(repo_id: str, revision: str) -> None:
    """A ledger as a first online download leaves it (the revision the hub's main pointed at)."""
    path = ledger_path(repo_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    ledger = {"revision": revision, "revision_first_seen": "2026-12-01", "files": {}, "first_seen": {}}
    path.write_text(json.dumps(ledger), encoding="utf-8")


def test_vlsbench_unpacks_only_its_images(hub_cache: Path) -> None:
    images = {f"./imgs/{p.name}": p.read_bytes() for p in (FIXTURES / "vlsbench" / "imgs").iterdir()}
    archive = _tar({**images, "imgs/._0.png": b"mac metadata"})
    data = (FIXTURES / "vlsbench" / "data.json").read_bytes()
    snapshot(hub_cache, vlsbench.HUB_DATASET, REVISION, {"data.json": data, "imgs.tar": archive})
    _first_seen_revision(vlsbench.HUB_DATASET, REVISION)
    loaded = load_dataset("vlsbench")
    assert len(loaded.samples) == 3 and loaded.path.read_bytes() == data
    assert sorted(p.name for p in (loaded.path.parent / "imgs").iterdir()) == ["0.png", "1.png", "2.png"]
    origin = origin_of(loaded.path)
    assert origin is not None and origin["revision"] == REVISION
    assert set(origin["unconfirmed"]) == {"revision", "data.json", "imgs.tar"}


def _sparse_tar() -> bytes:
    """A tar whose only member is a GNU sparse file (small archive, large file when written densely)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as bundle:
        info = tarfile.TarInfo("imgs/0.png")
        info.type, info.size = tarfile.GNUTYPE_SPARSE, 0
        bundle.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "archive",
    [
        _tar({"../evil.png": b"x"}),
        _tar({"imgs/0.png": b"x"}, {"imgs/1.png": "/etc/passwd"}),
        _tar({"run.sh": b"x"}),
        _tar({"imgs/a\\..\\..\\x.png": b"x"}),
        _sparse_tar(),
    ],
    ids=["escape", "link", "other-name", "backslash", "sparse"],
)
def test_vlsbench_refuses_a_hostile_archive(hub_cache: Path, archive: bytes) -> None:
    data = (FIXTURES / "vlsbench" / "data.json").read_bytes()
    snapshot(hub_cache, vlsbench.HUB_DATASET, REVISION, {"data.json": data, "imgs.tar": archive})
    _first_seen_revision(vlsbench.HUB_DATASET, REVISION)
    with pytest.raises(DatasetError, match=r"unexpected member|cannot unpack"):
        load_dataset("vlsbench")
    target = extracted_dir(vlsbench.HUB_DATASET, REVISION)
    assert not target.exists() and not [p for p in target.parent.iterdir() if p.name.startswith(".")]
