"""YAML is read as plain data only: safe loaders, no aliases or merge keys, no Python tags, a size limit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.overrides import parse_overrides
from lvlmkb.kb.validate import validate
from lvlmkb.kb.yamlio import MAX_FILE_BYTES, read_yaml
from lvlmkb.project import Project
from tests.conftest import VALID_PAPER, PaperWriter
from tests.security.support import calls, dotted, python_files

BILLION_LAUGHS = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
    for i in range(12)
)


def _messages(kb_root: Path) -> list[str]:
    return [d.render() for d in validate(Project(kb_root)).diagnostics]


def test_alias_bomb_is_refused_at_the_first_alias(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    doc, problems = read_yaml(path, "bomb.yaml")
    assert doc is None and [p.line for p in problems] == [1] and "anchors and aliases" in problems[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (VALID_PAPER + "extra: &x 1\nmore: *x\n", "anchors and aliases"),
        (VALID_PAPER.replace("urls:\n", "urls:\n  <<: {paper: 'https://a.org'}\n"), "merge keys"),
        (VALID_PAPER + "title: again\n", "duplicate key"),
    ],
)
def test_aliases_merge_keys_and_duplicates_are_refused(
    kb_root: Path, write_paper: PaperWriter, text: str, message: str
) -> None:
    write_paper("doe2024example", text)
    assert any(message in m for m in _messages(kb_root)), _messages(kb_root)


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
        "!!python/name:os.system",
        "!!python/module:os",
        "!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
    ],
)
def test_python_tags_build_nothing(kb_root: Path, write_paper: PaperWriter, tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    write_paper("doe2024example", VALID_PAPER.replace("summary: ", f"summary: {tag.format(marker=marker)} #"))
    messages = _messages(kb_root)
    assert any(m.startswith("papers/doe2024example.yaml:") for m in messages), messages
    assert not marker.exists()
    with pytest.raises(UsageError):
        parse_overrides([f"x={tag.format(marker=marker)}"])
    assert not marker.exists()


def test_oversized_files_are_refused_unread(kb_root: Path, write_paper: PaperWriter) -> None:
    write_paper("doe2024example", VALID_PAPER + "# " + "x" * MAX_FILE_BYTES + "\n")
    assert any("file is too large" in m for m in _messages(kb_root))


def _unsafe_yaml_call(call: ast.Call) -> bool:
    name = dotted(call.func)
    if name.split(".")[-1] in {"unsafe_load", "full_load", "unsafe_load_all", "full_load_all"}:
        return True
    if name in {"yaml.load", "yaml.load_all"}:
        loader = next((k.value for k in call.keywords if k.arg == "Loader"), None)
        return loader is None or dotted(loader) not in {"yaml.SafeLoader", "yaml.CSafeLoader"}
    return name.split(".")[-1] in {"FullLoader", "UnsafeLoader", "Loader", "CLoader", "CFullLoader", "CUnsafeLoader"}


def test_only_safe_loaders_in_the_sources() -> None:
    found = [
        f"{path.relative_to(path.parents[2])}:{call.lineno}"
        for path in python_files()
        for call in calls(path)
        if _unsafe_yaml_call(call)
    ]
    assert found == []
    text = "\n".join(p.read_text(encoding="utf-8") for p in python_files())
    assert "FullLoader" not in text and "UnsafeLoader" not in text and "Loader=yaml.Loader" not in text
