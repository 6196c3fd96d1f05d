"""Fuzzing the YAML loader and ``validate``: every malformed paper file gives located diagnostics.

Examples per run (derandomized): random bytes 80 + random documents 60 + mutated papers 120 + token soup
80 = 340 generated examples, plus the explicit nesting and scalar regressions below.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from lvlmkb.kb.validate import validate
from lvlmkb.kb.yamlio import load_plain, read_yaml
from lvlmkb.project import Project
from tests.conftest import VALID_PAPER, make_kb
from tests.fuzz.support import Examples, check_diagnostics, deep, fuzz, huge_numbers, nested, odd_text, scalars

PAPER = "papers/doe2024example.yaml"
KEYS = [line.split(":")[0] for line in VALID_PAPER.splitlines() if line[:1].isalpha()]
TOKENS = [
    "- ", ": ", "? ", "[", "]", "{", "}", ", ", "&a ", "*a", "<<: ", "'", '"', "|", ">-", "# c", "\n", "  ", "\t",
    "%YAML 1.1\n", "%TAG ! tag:x:\n", "---\n", "...\n", "!!int ", "!!bool ", "!!float ", "!!set ", "!!omap ",
    "!!binary ", "!!timestamp ", "!!str ", "!!map ", "!!seq ", "!!null ", "!local ", "!!python/name:os.system ",
    "9" * 4500, "1e400", ".nan", "0x", "0o8", "~", "yes", "maybe", "2024-02-30", "id", "title", "a", "\x00", "\ufeff",
    "\x85", "\u2028", "é",
]  # fmt: skip


def _validate(root: Path, content: bytes) -> None:
    (root / PAPER).write_bytes(content)
    report = validate(Project(root))
    try:
        text: str | None = content.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    check_diagnostics(report.diagnostics, PAPER, text)


def test_random_bytes(tmp_path: Path) -> None:
    root, seen = make_kb(tmp_path / "kb"), Examples()
    valid = VALID_PAPER.encode()

    @fuzz(80)
    @given(data=st.binary(max_size=400) | st.builds(lambda a, b: valid[: len(a)] + b, st.binary(), st.binary()))
    def prop(data: bytes) -> None:
        seen()
        _validate(root, data)

    prop()
    assert seen.count >= 80


def test_random_documents(tmp_path: Path) -> None:
    root, seen = make_kb(tmp_path / "kb"), Examples()
    keys = st.sampled_from(KEYS) | st.text(max_size=12) | st.integers()

    @fuzz(60)
    @given(
        document=st.dictionaries(keys, nested(scalars), max_size=8) | nested(scalars),
        flow=st.sampled_from([None, True, False]),
        unicode=st.booleans(),
    )
    def prop(document: object, flow: bool | None, unicode: bool) -> None:
        seen()
        text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=unicode)
        _validate(root, text.encode("utf-8", "surrogatepass"))

    prop()
    assert seen.count >= 60


def _mutate(lines: list[str], op: str, data: st.DataObject) -> list[str]:
    """Apply one mutation to the paper's lines."""
    index = data.draw(st.integers(0, max(len(lines) - 1, 0)))
    line = lines[index] if lines else ""
    key = line.split(":")[0]
    if op == "drop":
        return lines[:index] + lines[index + 1 :]
    if op == "duplicate":
        return [*lines, line]
    if op == "retype":
        value = yaml.safe_dump(data.draw(nested(scalars, 6)), default_flow_style=True, width=10**6).strip()
        return [*lines[:index], f"{key}: {value.removesuffix('...').strip()}", *lines[index + 1 :]]
    if op == "rename":
        return [*lines[:index], line.replace(key, data.draw(odd_text), 1), *lines[index + 1 :]]
    if op == "huge":
        return [*lines[:index], f"{key}: {data.draw(huge_numbers)}", *lines[index + 1 :]]
    if op == "deep":
        depth = data.draw(st.integers(1, 1500))
        kind = data.draw(st.sampled_from(["flow-list", "flow-map", "block"]))
        value = deep(depth, kind)
        return [*lines[:index], f"{key}:{' ' if kind != 'block' else chr(10)}{value}", *lines[index + 1 :]]
    if op == "indent":
        return [*lines[:index], data.draw(st.sampled_from([" ", "\t", "   "])) + line, *lines[index + 1 :]]
    if op == "control":
        position = data.draw(st.integers(0, len(line)))
        return [*lines[:index], line[:position] + data.draw(odd_text) + line[position:], *lines[index + 1 :]]
    text = "\n".join(lines)  # splice or truncate the whole text
    position = data.draw(st.integers(0, len(text)))
    tail = text[position:] if op == "splice" else ""
    return (text[:position] + data.draw(st.sampled_from(TOKENS) | odd_text) + tail).split("\n")


OPS = ["drop", "duplicate", "retype", "rename", "huge", "deep", "indent", "control", "splice", "truncate"]


def test_mutated_paper(tmp_path: Path) -> None:
    root, seen = make_kb(tmp_path / "kb"), Examples()

    @fuzz(120)
    @given(ops=st.lists(st.sampled_from(OPS), min_size=1, max_size=3), data=st.data())
    def prop(ops: list[str], data: st.DataObject) -> None:
        seen()
        lines = VALID_PAPER.splitlines()
        for op in ops:
            lines = _mutate(lines, op, data)
        _validate(root, ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))

    prop()
    assert seen.count >= 120


def test_token_soup(tmp_path: Path) -> None:
    path, seen = tmp_path / "soup.yaml", Examples()

    @fuzz(80)
    @given(tokens=st.lists(st.sampled_from(TOKENS), max_size=30))
    def prop(tokens: list[str]) -> None:
        seen()
        text = "".join(tokens)
        with contextlib.suppress(yaml.YAMLError):  # read_yaml turns these into diagnostics, checked next
            load_plain(text)
        path.write_text(text, encoding="utf-8")
        _, diagnostics = read_yaml(path, "soup.yaml")
        check_diagnostics(diagnostics, "soup.yaml", text)

    prop()
    assert seen.count >= 80


@pytest.mark.parametrize("depth", [50, 51, 400, 600, 999, 1000, 1001, 5000])
@pytest.mark.parametrize("kind", ["flow-list", "flow-map", "block"])
def test_deep_nesting_is_a_diagnostic(kb_root: Path, depth: int, kind: str) -> None:
    separator = "\n" if kind == "block" else " "
    text = f"{VALID_PAPER}notes:{separator}{deep(depth, kind)}\n"
    (kb_root / PAPER).write_text(text, encoding="utf-8")
    diagnostics = validate(Project(kb_root)).diagnostics
    assert diagnostics
    check_diagnostics(diagnostics, PAPER, text)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1" + "0" * 5000, "cannot read"),
        ("0x" + "f" * 4000, "integers must fit in 64 bits"),
        ("9223372036854775808", "integers must fit in 64 bits"),
        ("!!bool maybe", "cannot read"),
        ("!!int twelve", "cannot read"),
        ("!!float abc", "cannot read"),
        ("!!timestamp 2024-02-30", "tag !!timestamp is not allowed"),
        ("!!set {Jane Doe, John Roe}", "tag !!set is not allowed"),
        ("!!binary aGVsbG8=", "tag !!binary is not allowed"),
        ("!!omap [a: 1]", "tag !!omap is not allowed"),
    ],
)
def test_scalars_that_cannot_be_read_are_located(kb_root: Path, value: str, message: str) -> None:
    text = VALID_PAPER.replace("year: 2024", f"year: {value}")
    (kb_root / PAPER).write_text(text, encoding="utf-8")
    rendered = [d.render() for d in validate(Project(kb_root)).diagnostics]
    assert any(r.startswith(f"{PAPER}:7: year: ") and message in r for r in rendered), rendered
