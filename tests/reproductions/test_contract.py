"""Contract tests over every registered reproduction."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.judges.registry import default_registry
from lvlmkb.eval.plugin import Defense, Method, MethodConfig, Plugin
from lvlmkb.eval.registry import load_methods, load_plugins
from lvlmkb.eval.run.attached_image import AttachedImageMethod
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.conftest import DATA, REPO

pytest.importorskip("PIL")
METHODS = load_methods(REPO / "reproductions")
PLUGINS = load_plugins(REPO / "reproductions")
# Harmless local stand-ins, in each dataset's format: tests/data/datasets/<dataset>[.ext] (file or folder).
FIXTURES = {
    "safebench": DATA / "safebench_fixture.csv",
    "safebench-tiny": DATA / "safebench_fixture.csv",
    "figstep-pro": DATA / "figstep_pro",
}
FIXTURES.update({p.name.split(".")[0]: p for p in sorted((DATA / "datasets").iterdir()) if not p.name.startswith(".")})


def _inputs(method_id: str, tmp_path: Path) -> dict[str, object]:
    """Config values a method needs from its user before it can craft (e.g. an optimised image)."""
    if method_id == "si-attack":  # the fixture's images are 64 x 48: a 2 x 2 grid over 48 x 48
        return {"area": 48, "patch_size": 24}
    if method_id not in {"visual-adv", "jailbreak-in-pieces", "umk", "imgjp", "bap"}:
        return {}
    from PIL import Image

    from lvlmkb.eval.datasets.base import sha256_file

    image = tmp_path / "adversarial.png"
    Image.new("RGB", (32, 32), "#808080").save(image)
    if method_id == "umk":  # a stand-in for the released key, accepted by its own hash
        return {"adversarial_image": str(image), "image_sha256": sha256_file(image)}
    if method_id == "bap":  # the same for BAP's image; the mock rewrites its questions
        return {"image": str(image), "image_sha256": sha256_file(image), "attacker": "mock-comply"}
    return {"adversarial_image": str(image)}


@pytest.mark.parametrize("method_id", sorted(PLUGINS))
def test_plugin_contract(method_id: str, repo_kb: KnowledgeBase) -> None:
    cls: type[Plugin] = PLUGINS[method_id]
    paper = repo_kb.papers[cls.paper]
    assert method_id in paper.reproductions, f"papers/{cls.paper}.yaml lists every module of its paper"
    assert all(PLUGINS[other].paper == cls.paper for other in paper.reproductions), "and only modules of it"
    # A benchmark paper may also ship the baseline attacks it evaluates (HarmBench's RenderText), and an
    # attack paper that released its dataset (tag benchmark) may ship it as a benchmark (SafeBench of FigStep).
    # An evaluation paper may ship the baseline attacks and defenses it evaluates (MM-SafetyBench's safety prompt).
    evaluation = paper.kind == "evaluation" and cls.kind in {"benchmark", "attack", "defense"}
    released = paper.kind in {"attack", "defense"} and cls.kind == "benchmark"
    released = released and bool({"benchmark", "safety-dataset"} & set(paper.tags))
    assert paper.kind == cls.kind or evaluation or released
    assert cls.__doc__ and cls.version
    package, _folder, _module = cls.__module__.split(".")
    assert package == "reproductions", "a plugin lives in its paper's folder: reproductions/<paper>/<module>.py"
    if issubclass(cls, Method):
        assert all(judge in default_registry().ids() for judge in cls.default_judges)
    assert all(row["source"] for row in cls.card()), "every parameter names its upstream source"
    assert all(d.what and d.why for d in cls.deviations)
    assert cls.Config is not MethodConfig and isinstance(cls().settings, cls.Config), "Config from the type argument"


IDENTITY = {"id", "paper", "kind", "version", "default_dataset", "default_judges", "Config", "deviations"}


@pytest.mark.parametrize("method_id", sorted(PLUGINS))
def test_identity_is_declared_once_in_the_decorator(method_id: str) -> None:
    cls = PLUGINS[method_id]
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0]
    assert isinstance(body, ast.ClassDef)
    assigned = {
        target.id
        for node in body.body
        for target in (node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)])
        if isinstance(target, ast.Name)
    }
    assert not assigned & IDENTITY, f"{method_id} sets {sorted(assigned & IDENTITY)} in its class body"
    decorators = [d for d in body.decorator_list if isinstance(d, ast.Call) and isinstance(d.func, ast.Name)]
    assert [d.func.id for d in decorators if isinstance(d.func, ast.Name)] == [cls.kind]
    assert len(ast.unparse(decorators[0]).splitlines()) <= 10, "registration stays within ten lines"


def judge_model_for(method_id: str) -> str | None:
    """A judge model for a method whose default judge asks one: the mock, whose replies hold no score."""
    asks = any(default_registry().needs_model(j) for j in METHODS[method_id].default_judges)
    return "mock-comply" if asks else None


@pytest.mark.parametrize("method_id", sorted(METHODS))
def test_method_runs_on_the_mock_backend(method_id: str, repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    data = FIXTURES[METHODS[method_id].default_dataset]
    spec = RunSpec(
        method=method_id,
        model="mock-comply",
        data=data,
        out=tmp_path / "run",
        limit=3,
        config=_inputs(method_id, tmp_path),
        judge_model=judge_model_for(method_id),
    )
    result = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply"))
    assert result.record.counts.samples == 3 and result.record.aggregates


def _defense_inputs(defense_id: str, tmp_path: Path) -> dict[str, object]:
    """Defenses whose real checkpoints cannot load offline get their tiny stand-ins."""
    if defense_id == "mllm-protector":
        from tests.reproductions.mllm_protector.test_defense import tiny_protector

        return dict(tiny_protector(tmp_path))
    if defense_id == "adashield-a":
        from tests.reproductions.adashield.test_adaptive import tiny_pool

        return dict(tiny_pool(tmp_path))
    if defense_id == "cider":
        from tests.reproductions.cider.test_defense import tiny_cider

        return dict(tiny_cider(tmp_path))
    if defense_id == "llama-guard-3-vision":
        from tests.reproductions.llama_guard_3_vision.test_defense import tiny_guard

        return dict(tiny_guard(tmp_path))
    if defense_id == "llavaguard":
        from tests.reproductions.llavaguard.test_defense import tiny_llavaguard

        return dict(tiny_llavaguard(tmp_path))
    if defense_id == "asd":  # a stand-in for the released patch, accepted by its own hash
        from PIL import Image

        from lvlmkb.eval.datasets.base import sha256_file

        patch = tmp_path / "patch.png"
        Image.new("RGB", (12, 12), "#20a040").save(patch)
        return {"patch": str(patch), "patch_sha256": sha256_file(patch)}
    if defense_id == "hiddendetect":  # a tiny model has 2 layers; nothing scores above 100 (cosines are <= 1)
        return {"first_layer": 0, "last_layer": 1, "threshold": 100.0}
    return {}


WHITE_BOX_DEFENSES = {"hiddendetect"}
"""Defenses that read the target's hidden states: on the mock backend they refuse to attach, cleanly."""


@pytest.mark.parametrize("defense_id", sorted(k for k, v in PLUGINS.items() if issubclass(v, Defense)))
def test_defense_runs_around_an_attack(defense_id: str, repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    spec = RunSpec(
        method="figstep",
        model="mock-comply",
        data=FIXTURES["safebench"],
        out=tmp_path / "run",
        limit=2,
        defense=defense_id,
        defense_config=_defense_inputs(defense_id, tmp_path),
    )
    if defense_id in WHITE_BOX_DEFENSES:
        with pytest.raises(UsageError, match="hf backend"):
            run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply"))
        return
    result = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply"))
    assert result.record.defense is not None and result.record.defense.id == defense_id


@pytest.mark.parametrize("method_id", sorted(m for m, cls in PLUGINS.items() if issubclass(cls, AttachedImageMethod)))
def test_an_optimised_image_attack_names_its_step_count(method_id: str) -> None:
    cls = PLUGINS[method_id]
    assert issubclass(cls, AttachedImageMethod)
    field, key = cls.progress
    assert field in cls.Config.model_fields and key, "the record replaces this field by the steps that ran"


def test_a_paper_folder_holds_one_paper() -> None:
    """Every plugin and dataset of ``reproductions/<folder>/`` names the same paper, and no folder is shared."""
    from lvlmkb.eval.registry import datasets

    papers_of: dict[str, set[str]] = {}
    for cls in PLUGINS.values():
        papers_of.setdefault(cls.__module__.split(".")[1], set()).add(cls.paper)
    for entry in datasets().values():
        assert entry.module.startswith("reproductions."), f"dataset {entry.name} lives beside its paper"
        papers_of.setdefault(entry.module.split(".")[1], set()).add(entry.paper or "")
    assert {folder: len(papers) for folder, papers in papers_of.items() if len(papers) != 1} == {}
    owners = [next(iter(papers)) for papers in papers_of.values()]
    assert len(owners) == len(set(owners)), "one folder per paper"
