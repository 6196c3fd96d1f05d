"""Safe YAML reading with compiler-style diagnostics.

The fast path parses with the C safe loader. Line numbers are recovered only when a problem needs
one, by composing the node tree of that single file again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lvlmkb.errors import Diagnostic

MAX_FILE_BYTES = 1 << 20
_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastLoader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """The C safe loader, with dates left as text: 2024-02-30 is then a schema error, not a crash."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
    }


_FAST_LOADER: type[yaml.SafeLoader] = _FastLoader
_ANCHOR_HINT = re.compile(r"(?:^|[\s\[{,:-])[&*][^\s,\]}]", re.MULTILINE)
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.MULTILINE)
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: its data and its text (kept for line lookups)."""

    path: Path
    display: str
    data: Any
    text: str

    def line_of(self, loc: Loc) -> int:
        """Return the 1-based line of the value at ``loc`` (the closest existing ancestor)."""
        return line_of(self.text, loc)

    def diagnostic(self, loc: Loc, message: str, field: str | None = None) -> Diagnostic:
        """Build a diagnostic located at ``loc``."""
        name = field if field is not None else ".".join(str(part) for part in loc)
        return Diagnostic(self.display, self.line_of(loc), name, message)


def read_yaml(path: Path, display: str) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Read and parse ``path`` safely; return the document or the diagnostics that stop it."""
    text, problem = _read_text(path)
    if problem is not None:
        return None, [Diagnostic(display, 0, "", problem)]
    assert text is not None
    if not text.strip():
        return None, [Diagnostic(display, 1, "", "file is empty")]
    try:
        if _ANCHOR_HINT.search(text):
            _reject_anchors(text)
        data = yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 0
        prefix = "" if isinstance(err, _AnchorError) else "YAML syntax error: "
        return None, [Diagnostic(display, line, "", f"{prefix}{err.problem}")]
    except yaml.YAMLError as err:
        return None, [Diagnostic(display, 0, "", f"YAML error: {err}")]
    doc = YamlDocument(path, display, data, text)
    return doc, _duplicate_top_keys(doc)


def _read_text(path: Path) -> tuple[str | None, str | None]:
    if path.is_dir():
        return None, "is a directory, expected a YAML file"
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, f"file is too large ({size} bytes, limit {MAX_FILE_BYTES})"
        raw = path.read_bytes()
    except OSError as err:
        return None, f"cannot read file: {err.strerror or err}"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        return None, f"not valid UTF-8 (byte {err.start}); save the file as UTF-8"


class _AnchorError(yaml.MarkedYAMLError):
    pass


def _reject_anchors(text: str) -> None:
    """Refuse anchors and aliases: plain data needs none, and they enable alias bombs."""
    for event in yaml.parse(text, Loader=_FAST_LOADER):
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent) or anchor is not None:
            raise _AnchorError(
                problem="anchors and aliases (&name / *name) are not allowed in lvlmkb data",
                problem_mark=event.start_mark,
            )


def _duplicate_top_keys(doc: YamlDocument) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    found: list[Diagnostic] = []
    for match in _TOP_KEY.finditer(doc.text):
        key = match.group(1)
        line = doc.text.count("\n", 0, match.start()) + 1
        if key in seen:
            message = f"duplicate key (first defined on line {seen[key]})"
            found.append(Diagnostic(doc.display, line, key, message))
        else:
            seen[key] = line
    return found


def line_of(text: str, loc: Loc) -> int:
    """Return the line of the node at ``loc`` in ``text``; 1 when nothing closer is found."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return 1
    line = 1
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        node, key_line = _child(node, part)
        if key_line:
            line = key_line
    if node is not None and not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, int]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == str(part):
                return value, key.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item, item.start_mark.line + 1
    return None, 0
