"""Every registered attack and benchmark, and every defense around FigStep, runs on a tiny LLaVA."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lvlmkb.eval.backends.base import Backend, GenerationSettings
from lvlmkb.eval.backends.registry import open_backend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.run.records import read_samples
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.reproductions.test_contract import FIXTURES, METHODS, PLUGINS, _defense_inputs, _inputs, judge_model_for

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
SETTINGS = GenerationSettings(max_new_tokens=4)
DEFENSES = sorted(k for k, v in PLUGINS.items() if k not in METHODS)


@pytest.fixture(scope="module")
def tiny_llava(repo_kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    previous = os.environ.get("LVLMKB_CACHE")
    os.environ["LVLMKB_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    torch.set_num_threads(1)
    try:
        yield open_backend(repo_kb, "tiny-llava")
    finally:
        if previous is None:
            os.environ.pop("LVLMKB_CACHE", None)
        else:
            os.environ["LVLMKB_CACHE"] = previous


@pytest.mark.parametrize("method_id", sorted(METHODS))
def test_method_on_tiny_llava(method_id: str, repo_kb: KnowledgeBase, tiny_llava: Backend, tmp_path: Path) -> None:
    spec = RunSpec(
        method=method_id,
        model="tiny-llava",
        data=FIXTURES[METHODS[method_id].default_dataset],
        out=tmp_path / "run",
        limit=2,
        settings=SETTINGS,
        config=_inputs(method_id, tmp_path),
        judge_model=judge_model_for(method_id),
    )
    result = run_reproduction(RunContext(repo_kb), spec, backend=tiny_llava)
    assert result.model_calls >= 1 and result.record.counts.samples == 2
    assert result.record.backend["backend"] == "hf"


@pytest.mark.parametrize("defense_id", DEFENSES)
def test_defense_on_tiny_llava(defense_id: str, repo_kb: KnowledgeBase, tiny_llava: Backend, tmp_path: Path) -> None:
    spec = RunSpec(
        method="figstep",
        model="tiny-llava",
        data=FIXTURES["safebench"],
        out=tmp_path / "run",
        limit=2,
        settings=SETTINGS,
        defense=defense_id,
        defense_config=_defense_inputs(defense_id, tmp_path),
    )
    result = run_reproduction(RunContext(repo_kb), spec, backend=tiny_llava)
    assert result.record.defense is not None and result.record.defense.id == defense_id
    assert result.record.counts.samples == 2
    rows = read_samples(result.out / "samples.jsonl")
    assert all(row.defense and row.defense["defense"] == defense_id and len(row.defense) > 2 for row in rows), (
        "every sample records what the defense did, beyond its name and refusal flag"
    )
    assert (result.record.counts.model_requests or 0) >= 2, "the model's requests, a defense's own checks included"
