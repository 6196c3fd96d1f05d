"""Helpers shared by the engine's and the reproductions' tests: offline stages through the CLI, saved states."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from lvlmkb.cli import app
from tests.conftest import REPO


def saved_state(out_dir: Path) -> dict[str, Any]:
    """The ``state.json`` an image optimisation wrote in ``out_dir`` (it must exist)."""
    from lvlmkb.eval.run.attached_image import read_state

    state = read_state(out_dir)
    assert state is not None, f"no state.json in {out_dir}"
    return state


def invoke_stage(plugin: str, stage: str, *args: str, root: Path = REPO, **settings: object) -> Result:
    """``lvlmkb stage PLUGIN STAGE ARGS --set KEY=VALUE... --root ROOT`` through the CLI test runner (None: null)."""
    sets = [
        part for key, value in settings.items() for part in ("--set", f"{key}={'null' if value is None else value}")
    ]
    return CliRunner().invoke(app, ["stage", plugin, stage, *args, *sets, "--root", str(root)])
