"""Generated command lines over the whole CLI: every one ends in a clean exit (0, 1 or 2), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from lvlmkb.cli import app
from tests.conftest import DATA, make_kb
from tests.fuzz.support import Examples, fuzz, odd_text, snapshot

COMMANDS = [
    ["validate"],
    ["list"],
    ["show"],
    ["stats"],
    ["gaps"],
    ["export"],
    ["methods"],
    ["models"],
    ["judges"],
    ["datasets"],
    ["runs"],
    ["runs", "show"],
    ["schema", "--check"],
    ["graph"],
    ["reproduce"],
    ["craft"],
    ["render", "readme", "--check"],
]
OPTIONS = [
    "--kind",
    "--phase",
    "--category",
    "--facet",
    "--tag",
    "--year",
    "--venue",
    "--search",
    "--format",
    "--out",
    "--model",
    "--limit",
    "--judge",
    "--device",
    "--dtype",
    "--set",
    "--defense",
    "--defense-set",
    "--data",
    "--batch-size",
    "--max-new-tokens",
    "--backend",
    "--base-url",
    "--backend-option",
    "--matrix",
    "--attacks",
    "--models",
    "--defenses",
    "--data-for",
    "--has-code",
    "--help",
    "-h",
    "--",
]
VALUES = [
    "figstep",
    "mock-comply",
    "gpt-4v",
    "attack",
    "attacks",
    "inference",
    "0",
    "-1",
    "99999999999999999999",
    "nan",
    "cuda",
    "gpu",
    "fp16",
    "json",
    "x=y",
    "=",
    "a=b=c",
    "none,adashield-s",
    "http://[::1",
    "ftp://x",
    "../../..",
    "gong2023figstep",
    "",
    " ",
    "\x00",
    "é",
    "safebench=/nonexistent",
]
tokens = st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES), odd_text.filter(lambda t: "\x00" not in t))


def test_generated_command_lines_never_end_in_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, seen, runner = make_kb(tmp_path / "kb"), Examples(), CliRunner()
    monkeypatch.chdir(root)
    monkeypatch.setenv("LVLMKB_OFFLINE", "1")
    before = snapshot(root)

    @fuzz(150)
    @given(command=st.sampled_from(COMMANDS), rest=st.lists(tokens, max_size=6))
    def prop(command: list[str], rest: list[str]) -> None:
        seen()
        args = [*command, *rest]
        result = runner.invoke(app, args, catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
        assert "Traceback" not in result.output, (args, result.output)

    prop()
    assert seen.count >= 150
    after = {k: v for k, v in snapshot(root).items() if not k.startswith(("runs/", "build/"))}
    assert after == before, "a generated command line changed the knowledge base"


def test_the_fixture_dataset_exists() -> None:
    assert (DATA / "safebench_fixture.csv").is_file()
