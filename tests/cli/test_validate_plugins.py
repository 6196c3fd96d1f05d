"""``lvlmkb validate --plugins``: the KB checked against the checkout's plugins, datasets and suites."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from lvlmkb.cli import app
from tests.conftest import REPO

BROKEN = '''"""A plugin whose paper, dataset and judge do not fit."""

from lvlmkb.eval import CraftedInput, Method, MethodConfig, Sample, attack


@attack(paper="nobody2020nothing", version=1, dataset="jip-prompts", judges=["refusal-nope"], needs=["instruction"])
class Broken(Method[MethodConfig]):
    """Reads a field its default dataset does not have."""

    def craft(self, sample: Sample) -> CraftedInput:
        return CraftedInput(sample.id, sample.category, sample.fields["instruction"])
'''
SUITE = """id: broken-suite
title: A suite of missing things
paper: nobody2020nothing
description: Parts that name a method and a judge the checkout lacks.
parts:
  - {benchmark: X, setting: Y, method: no-such-method, judge: refusal-gcg-advbench-29, fallback_judge: nope}
"""


def test_the_checkout_passes(runner: CliRunner) -> None:
    plain = json.loads(runner.invoke(app, ["validate", "--root", str(REPO), "--format", "json"]).stdout)
    result = runner.invoke(app, ["validate", "--plugins", "--root", str(REPO), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["diagnostics"] == plain["diagnostics"], "no plugin, dataset or suite problem"


def _checkout(kb_root: Path) -> Path:
    """A checkout with one paper folder of JIP's dataset and one of a plugin that fits nothing."""
    plugins = kb_root / "reproductions"
    shutil.copy(REPO / "reproductions" / "__init__.py", plugins / "__init__.py")
    shutil.copytree(REPO / "reproductions" / "jailbreak_in_pieces", plugins / "jailbreak_in_pieces")
    (plugins / "jailbreak_in_pieces" / "attack.py").unlink()
    (plugins / "broken").mkdir()
    (plugins / "broken" / "__init__.py").write_text("", encoding="utf-8")
    (plugins / "broken" / "attack.py").write_text(BROKEN, encoding="utf-8")
    (kb_root / "reproductions" / "suites").mkdir()
    (kb_root / "reproductions" / "suites" / "broken-suite.yaml").write_text(SUITE, encoding="utf-8")
    return kb_root


def test_every_mismatch_is_located(kb_root: Path, runner: CliRunner) -> None:
    root = _checkout(kb_root)
    assert runner.invoke(app, ["validate", "--root", str(root)]).exit_code == 0, "the static checks run no plugin"
    result = runner.invoke(app, ["validate", "--plugins", "--root", str(root)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stdout.splitlines()
    assert "reproductions/broken/attack.py:6: paper: broken names unknown paper 'nobody2020nothing'" in lines
    assert "reproductions/broken/attack.py:6: judges: unknown default judge 'refusal-nope'" in lines
    assert any(
        line.startswith("reproductions/broken/attack.py:6: dataset: dataset 'jip-prompts' has no field")
        for line in lines
    )
    assert "reproductions/suites/broken-suite.yaml: paper: unknown paper 'nobody2020nothing'" in lines
    assert "reproductions/suites/broken-suite.yaml: parts.0.method: no attack or benchmark 'no-such-method'" in lines
    assert "reproductions/suites/broken-suite.yaml: parts.0.fallback_judge: no judge 'nope'" in lines


def test_an_id_the_static_scan_cannot_read_is_reported(kb_root: Path, runner: CliRunner) -> None:
    plugins = kb_root / "reproductions"
    shutil.copy(REPO / "reproductions" / "__init__.py", plugins / "__init__.py")
    (plugins / "computed.py").write_text(BROKEN.replace("needs=", 'id="-".join(["com", "puted"]), needs='), "utf-8")
    result = runner.invoke(app, ["validate", "--plugins", "--root", str(kb_root)])
    message = "id: com-puted is not seen by the static scan of `lvlmkb validate`: give @attack a literal id="
    assert f"reproductions/computed.py:6: {message}" in result.stdout.splitlines()


def test_a_plugin_that_cannot_be_imported_is_one_clean_problem(kb_root: Path, runner: CliRunner) -> None:
    shutil.copy(REPO / "reproductions" / "__init__.py", kb_root / "reproductions" / "__init__.py")
    (kb_root / "reproductions" / "crashes.py").write_text("raise RuntimeError('boom at import')\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--plugins", "--root", str(kb_root)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "reproductions: the plugins cannot be imported: RuntimeError: boom at import" in result.stdout
