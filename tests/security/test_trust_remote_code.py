"""A checkpoint's own code runs only with ``--trust-remote-code``; judges and plugins never ask for it."""

from __future__ import annotations

import ast
import importlib
import shutil
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.eval.backends.registry import BackendOptions, open_backend
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from tests.conftest import DATA, REPO
from tests.security.support import calls, dotted, python_files, syntax_tree

pytest.importorskip("transformers")
pytest.importorskip("torch")

HF_ALIAS = "llava-1.5-7b"


class _Recorder:
    """Stands in for a transformers Auto class: records the call, then fails like a missing checkpoint."""

    seen: ClassVar[list[tuple[str, str, dict[str, Any]]]] = []
    fail = True

    @classmethod
    def from_pretrained(cls, source: str, **kwargs: Any) -> Any:
        cls.seen.append((cls.__name__, source, kwargs))
        if cls.fail:
            raise OSError(f"{source} is not available offline (test stub)")
        return cls()

    def eval(self) -> Any:
        return self


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict[str, Any]]]:
    """Replace the Auto classes on every transformers module object lvlmkb may hold.

    Reading a lazy attribute can make transformers register a fresh module object, so the classes are
    read first and then patched on both the current object and the one the HF backend imported.
    """
    hf = importlib.import_module("lvlmkb.eval.backends.hf")
    seen: list[tuple[str, str, dict[str, Any]]] = []
    names = ["AutoProcessor", "AutoModelForImageTextToText", "AutoTokenizer", "AutoModelForCausalLM"]
    for name in names:
        getattr(sys.modules["transformers"], name)
    modules = {id(m): m for m in (sys.modules["transformers"], hf.transformers)}
    for name in names:
        stub = type(name, (_Recorder,), {"seen": seen, "fail": name in names[:2]})
        for module in modules.values():
            monkeypatch.setattr(module, name, stub)
    return seen


@pytest.mark.parametrize(
    ("options", "expected"), [(BackendOptions(), False), (BackendOptions(trust_remote_code=True), True)]
)
def test_hf_backend_passes_the_option(
    kb_root: Path, recorded: list[tuple[str, str, dict[str, Any]]], options: BackendOptions, expected: bool
) -> None:
    from lvlmkb.eval.backends.base import BackendError

    kb, _ = open_kb(Project(kb_root))
    backend: Any = open_backend(kb, HF_ALIAS, options)
    with pytest.raises(BackendError):
        _ = backend.processor
    assert recorded and all(kwargs["trust_remote_code"] is expected for _, _, kwargs in recorded)


@pytest.mark.parametrize(("flag", "expected"), [([], False), (["--trust-remote-code"], True)])
def test_reproduce_cli_is_off_unless_asked(
    kb_root: Path, recorded: list[tuple[str, str, dict[str, Any]]], flag: list[str], expected: bool
) -> None:
    shutil.copytree(REPO / "reproductions", kb_root / "reproductions", dirs_exist_ok=True)
    args = ["reproduce", "figstep", "--model", HF_ALIAS, "--root", str(kb_root), "--limit", "1"]
    result = CliRunner().invoke(app, [*args, "--data", str(DATA / "safebench_fixture.csv"), *flag])
    assert result.exit_code == 1 and "error:" in result.output, result.output
    assert [name for name, _, _ in recorded] == ["AutoProcessor"]
    assert recorded[0][2]["trust_remote_code"] is expected


def test_judge_checkpoints_never_trust_remote_code(recorded: list[tuple[str, str, dict[str, Any]]]) -> None:
    from lvlmkb.eval.judges.guard_model import GuardModel

    guard = GuardModel("org/guard-model", "abc123", "cpu", None)
    guard.load("AutoModelForCausalLM", "AutoTokenizer", padding_side="left")
    assert [name for name, _, _ in recorded] == ["AutoTokenizer", "AutoModelForCausalLM"]
    assert all(kwargs["trust_remote_code"] is False for _, _, kwargs in recorded)


def _auto_loads_without_the_option(path: Path) -> list[str]:
    found = []
    for call in calls(path):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "from_pretrained"):
            continue
        receiver = func.value
        is_auto = dotted(receiver).startswith("transformers.Auto") or (
            isinstance(receiver, ast.Call) and dotted(receiver.func) == "getattr"
        )
        keywords = {k.arg for k in call.keywords}
        if is_auto and "trust_remote_code" not in keywords and None not in keywords:  # None: a **kwargs splat
            found.append(f"{path.relative_to(REPO)}:{call.lineno}")
    return found


def test_every_auto_class_load_states_the_option() -> None:
    shipped = [p for p in python_files() if not p.is_relative_to(REPO / "bench")]
    assert [hit for path in shipped for hit in _auto_loads_without_the_option(path)] == []


def test_nothing_hard_codes_trust_or_uses_hf_datasets() -> None:
    for path in python_files():
        for node in ast.walk(syntax_tree(path)):
            if isinstance(node, ast.keyword) and node.arg == "trust_remote_code":
                assert not (isinstance(node.value, ast.Constant) and node.value.value is True), path
            if isinstance(node, ast.Import):
                assert all(alias.name.split(".")[0] != "datasets" for alias in node.names), path
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert (node.module or "").split(".")[0] != "datasets", path
