"""``lvlmkb --help`` and ``import lvlmkb.cli`` stay light: no torch, no transformers."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

HEAVY = ("torch", "transformers", "PIL", "numpy", "pydantic", "networkx")
PROBE = (
    "import json, sys\n"
    "from typer.testing import CliRunner\n"
    "import lvlmkb.cli\n"
    "result = CliRunner().invoke(lvlmkb.cli.app, ['--help'])\n"
    "assert result.exit_code == 0, result.output\n"
    "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {names})))\n"
)


def test_help_imports_nothing_heavy() -> None:
    code = PROBE.format(names=set(HEAVY))
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "PYTHONPATH": str(REPO / "kb")},
    )
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_console_script_help_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lvlmkb", "--help"],
        capture_output=True,
        text=True,
        env={"PATH": "", "PYTHONPATH": str(REPO / "kb")},
    )
    assert proc.returncode == 0
    for command in ("validate", "list", "show", "stats", "graph", "schema"):
        assert command in proc.stdout
