"""Edit single fields of a paper file in place, leaving every other line as it is, byte for byte.

A change names a top-level field (``title``) or a field one level down (``sources.title``,
``urls.code``). Only the lines of that field are replaced; a missing field is inserted where the
KB's field order puts it. The result is read back and compared with the intended data: when the
file's layout defeats the line edit (a flow-style ``sources: {...}``, an alias, odd indentation),
:class:`EditError` is raised and the file is not written.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from lvlmkb.errors import LvlmkbError
from lvlmkb.kb.contribute.draft import FIELD_ORDER, dump_field
from lvlmkb.kb.yamlio import PlainDataError, load_plain

_KEY = re.compile(r"""^(?P<indent> *)(?P<key>[A-Za-z_][\w.-]*|'[^']*'|"[^"]*")[ \t]*:(?P<rest>[ \t].*|)$""")


class EditError(LvlmkbError):
    """A field could not be changed in place without touching other lines."""


@dataclass(frozen=True)
class FieldEdit:
    """Set (or, with ``value`` None, remove) the field at ``path``: one or two keys."""

    path: tuple[str, ...]
    value: Any


@dataclass(frozen=True)
class _Block:
    key: str
    start: int
    end: int
    """One past the block's last line; trailing blank and comment lines are not part of it."""


def apply_edits(text: str, edits: Sequence[FieldEdit]) -> str:
    """``text`` with ``edits`` applied line by line, checked by reading it back.

    Raises:
        EditError: the file does not parse, a path is deeper than two keys, or the edit would not read back as intended.
    """
    try:
        expected = copy.deepcopy(load_plain(text))
    except (PlainDataError, yaml.YAMLError) as err:
        raise EditError(f"the file does not parse ({' '.join(str(err).split())[:120]})") from None
    if not isinstance(expected, dict):
        raise EditError("the file is not a mapping")
    newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    lines = _split(text)
    for edit in edits:
        lines = _edit(lines, edit, newline)
        _apply_to_data(expected, edit)
    result = "".join(lines)
    try:
        found = load_plain(result)
    except (PlainDataError, yaml.YAMLError):
        found = None
    if found != expected:
        raise EditError("the file's layout does not allow an in-place edit (it would not read back as intended)")
    return result


def _split(text: str) -> list[str]:
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    return [*out, lines[-1]] if lines[-1] else out


def _edit(lines: list[str], edit: FieldEdit, newline: str) -> list[str]:
    if len(edit.path) == 1:
        return _edit_top(lines, edit.path[0], edit.value, newline)
    if len(edit.path) == 2:
        return _edit_child(lines, edit.path[0], edit.path[1], edit.value, newline)
    raise EditError(f"cannot edit {'.'.join(edit.path)}: only fields one level deep are edited in place")


def _edit_top(lines: list[str], key: str, value: Any, newline: str) -> list[str]:
    blocks = _blocks(lines, 0, len(lines), 0)
    block = next((b for b in blocks if b.key == key), None)
    new = [] if value is None else _lines(dump_field(key, value), "", newline)
    if block is not None:
        return lines[: block.start] + new + lines[block.end :]
    if value is None:
        return lines
    at = _insert_point(blocks, key, lines)
    return _ensure_newline(lines[:at], newline) + new + lines[at:]


def _edit_child(lines: list[str], parent: str, key: str, value: Any, newline: str) -> list[str]:
    blocks = _blocks(lines, 0, len(lines), 0)
    top = next((b for b in blocks if b.key == parent), None)
    if top is None:
        return lines if value is None else _edit_top(lines, parent, {key: value}, newline)
    match = _KEY.match(lines[top.start].rstrip("\r\n"))
    rest = match.group("rest").strip() if match is not None else "?"
    if rest not in ("", "{}") and not rest.startswith("#"):
        raise EditError(f"{parent} is written inline; edit {parent}.{key} by hand")
    if rest == "{}":
        return _edit_top(lines, parent, None if value is None else {key: value}, newline)
    indent = _child_indent(lines, top)
    children = _blocks(lines, top.start + 1, top.end, indent)
    child = next((b for b in children if b.key == key), None)
    new = [] if value is None else _lines(_dump_child(key, value), " " * indent, newline)
    if child is not None:
        return lines[: child.start] + new + lines[child.end :]
    if value is None:
        return lines
    return _ensure_newline(lines[: top.end], newline) + new + lines[top.end :]


def _blocks(lines: list[str], start: int, end: int, indent: int) -> list[_Block]:
    """The keys at ``indent`` between ``start`` and ``end`` with their line spans."""
    found: list[_Block] = []
    current: tuple[str, int] | None = None
    last = start
    for number in range(start, end):
        line = lines[number].rstrip("\r\n")
        match = _KEY.match(line)
        if match is not None and len(match.group("indent")) == indent:
            if current is not None:
                found.append(_Block(current[0], current[1], last))
            current, last = (match.group("key").strip("'\""), number), number + 1
        elif current is not None and _continues(line, indent):
            if line.strip() and not line.lstrip().startswith("#"):
                last = number + 1
        elif current is not None:
            found.append(_Block(current[0], current[1], last))
            current = None
    if current is not None:
        found.append(_Block(current[0], current[1], last))
    return found


def _continues(line: str, indent: int) -> bool:
    """Whether ``line`` still belongs to a block at ``indent`` (deeper, blank, or an indentless list item)."""
    if not line.strip():
        return True
    depth = len(line) - len(line.lstrip(" "))
    if line.lstrip().startswith("#"):
        return depth > indent
    return depth > indent or (depth == indent and (line[depth:].startswith("- ") or line[depth:] == "-"))


def _child_indent(lines: list[str], top: _Block) -> int:
    for number in range(top.start + 1, top.end):
        line = lines[number]
        if line.strip() and not line.lstrip().startswith(("#", "-")):
            return len(line) - len(line.lstrip(" "))
    return 2


def _insert_point(blocks: list[_Block], key: str, lines: list[str]) -> int:
    """After the nearest existing field that the KB's order puts before ``key`` (else after the last field)."""
    order = list(FIELD_ORDER)
    position = order.index(key) if key in order else len(order)
    before = [b for b in blocks if b.key in order and order.index(b.key) < position]
    if before:
        return max(b.end for b in before)
    return min((b.start for b in blocks), default=len(lines))


def _dump_child(key: str, value: Any) -> str:
    """``key: value``; a mapping or list of scalars in flow style (``{kind: arxiv, ...}``), as the KB writes them."""
    flow = None if isinstance(value, (dict, list)) else False
    return yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=120, default_flow_style=flow)


def _lines(dumped: str, prefix: str, newline: str) -> list[str]:
    parts = dumped.removesuffix("\n").split("\n")
    return [f"{prefix}{line}{newline}" if line else newline for line in parts]


def _ensure_newline(lines: list[str], newline: str) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + newline]
    return lines


def _apply_to_data(data: dict[str, Any], edit: FieldEdit) -> None:
    target = data
    for key in edit.path[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = {}
            target[key] = child
        target = child
    if edit.value is None:
        target.pop(edit.path[-1], None)
    else:
        target[edit.path[-1]] = copy.deepcopy(edit.value)
