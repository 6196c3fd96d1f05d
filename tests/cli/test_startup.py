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


SITE_PROBE = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in {names}:\n"
    "            raise ImportError(f'{{name}} is not installed with the site extra')\n"
    "sys.meta_path.insert(0, Block())\n"
    "from pathlib import Path\n"
    "from lvlmkb.project import Project\n"
    "from lvlmkb.publish.site.build import generate_pages\n"
    "from lvlmkb.kb.validate import validate\n"
    "pages = generate_pages(validate(Project(Path({root!r}))).kb)\n"
    "assert 'reproductions.md' in pages and 'results.md' in pages, sorted(pages)[:5]\n"
    "print(len(pages))\n"
)


def test_site_pages_need_no_model_dependencies() -> None:
    """The README's main job installs only the site extra: every page, the plugin cards included, must build."""
    code = SITE_PROBE.format(names={"torch", "transformers", "PIL", "numpy", "diffusers", "accelerate"}, root=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": "", "PYTHONPATH": str(REPO / "kb")},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.strip().splitlines()[-1]) > 300
