"""Subprocesses: argument lists only, never a shell; no dynamic code execution in the sources."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lvlmkb.eval.run import provenance
from tests.conftest import REPO
from tests.security.support import calls, dotted, python_files

SHELL_CALLS = {"os.system", "os.popen", "os.execl", "os.execlp", "os.spawnl", "os.spawnlp", "commands.getoutput"}
SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput"}


def _problems(path: Path, call: ast.Call) -> list[str]:
    name = dotted(call.func)
    where = f"{path.relative_to(REPO)}:{call.lineno}"
    if name in SHELL_CALLS or name in {"eval", "exec"}:
        return [f"{where}: {name}"]
    if name.startswith("subprocess.") and name.split(".")[-1] in SUBPROCESS_CALLS:
        problems = [f"{where}: shell=" for k in call.keywords if k.arg == "shell"]
        command = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "args"), None)
        if command is None or isinstance(command, ast.Constant | ast.JoinedStr | ast.BinOp):
            problems.append(f"{where}: the command is a string, not an argument list")
        return problems
    return []


def test_no_shell_and_list_arguments_only() -> None:
    found = [problem for path in python_files() for call in calls(path) for problem in _problems(path, call)]
    assert found == []


def test_the_package_runs_one_subprocess_git() -> None:
    users = sorted(
        path.relative_to(REPO).as_posix()
        for path in python_files()
        if not path.is_relative_to(REPO / "bench")
        and any(dotted(c.func).startswith("subprocess.") for c in calls(path))
    )
    assert users == ["kb/lvlmkb/eval/run/provenance.py"]


def test_git_gets_a_list_and_the_checkout_path_only_as_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "a dir; touch pwned $(touch pwned2) `touch pwned3`"
    root.mkdir()
    seen: list[tuple[Any, dict[str, Any]]] = []
    real_run = subprocess.run

    def recording_run(args: Any, **kwargs: Any) -> Any:
        seen.append((args, kwargs))
        return real_run(args, **kwargs)

    monkeypatch.setattr("lvlmkb.eval.run.provenance.subprocess.run", recording_run)
    state = provenance.git_state(root)
    assert state == {"commit": None, "dirty": None} or state["commit"]
    assert seen and all(isinstance(args, list) and args[0] == "git" for args, _ in seen)
    assert all(kwargs.get("shell") in (None, False) and kwargs["cwd"] == root for _, kwargs in seen)
    assert all(str(root) not in args for args, _ in seen)
    assert not any(tmp_path.rglob("pwned*"))
