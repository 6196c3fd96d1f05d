"""Safe YAML reading with compiler-style diagnostics.

The fast path composes nodes with the C parser and builds plain data from them. Line numbers are
recovered only when a problem needs one, by composing the node tree of that single file again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, cast

import yaml

from lvlmkb.errors import Diagnostic
from lvlmkb.kb.parsecache import ParseCache, content_digest

MAX_FILE_BYTES = 1 << 20
_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
MAX_DEPTH = 50
_STR, _SEQ, _MAP, _MERGE = _TAG + "str", _TAG + "seq", _TAG + "map", _TAG + "merge"
_NOT_PLAIN = frozenset(_TAG + name for name in ("binary", "omap", "pairs", "set", "timestamp"))


class _FastLoader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """The C safe loader with dates left as text and a lean tag resolver.

    Dates stay strings, so 2024-02-30 is a schema error rather than a crash. The resolver skips
    path resolvers (none are registered) and the list building of the generic one; it is called
    once per node by the C composer, so this is the hot path of validation.
    """

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
    }

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """No path resolvers are registered: nothing to track."""

    def ascend_resolver(self) -> None:
        """No path resolvers are registered: nothing to track."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """Tag of a node: implicit scalars by their first character's resolvers, else the default."""
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _TAG + "str"
        return _TAG + ("seq" if kind is yaml.SequenceNode else "map")


Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: its data and its text (kept for line lookups)."""

    path: Path
    display: str
    data: Any
    text: str
    digest: str = ""
    """The SHA-256 of the file's bytes, when it was read with a parse cache (else empty)."""

    def line_of(self, loc: Loc) -> int:
        """Return the 1-based line of the value at ``loc`` (the closest existing ancestor)."""
        return line_in(self._nodes(), loc)

    def _nodes(self) -> yaml.Node | None:
        """The file's node tree, composed once (only a file with a problem needs it)."""
        cached = self.__dict__.get("_node_tree", _UNSET)
        if cached is _UNSET:
            try:
                cached = yaml.compose(self.text, Loader=_BASE_LOADER)
            except yaml.YAMLError:
                cached = None
            object.__setattr__(self, "_node_tree", cached)
        return cast("yaml.Node | None", cached)

    def diagnostic(self, loc: Loc, message: str, field: str | None = None) -> Diagnostic:
        """Build a diagnostic located at ``loc``."""
        name = field if field is not None else ".".join(str(part) for part in loc)
        return Diagnostic(self.display, self.line_of(loc), name, message)


def read_yaml(
    path: Path, display: str, cache: ParseCache | None = None
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Read and parse ``path`` safely; return the document or the diagnostics that stop it.

    With ``cache``, a file whose bytes were parsed before is not parsed again (see :mod:`lvlmkb.kb.parsecache`).
    """
    raw, problem = _read_bytes(path)
    text = None
    if raw is not None:
        text, problem = _decode(raw)
    if problem is not None:
        return None, [Diagnostic(display, 0, "", problem)]
    assert raw is not None and text is not None
    if not text.strip():
        return None, [Diagnostic(display, 1, "", "file is empty")]
    digest = content_digest(raw) if cache is not None else ""
    if cache is not None:
        known, data = cache.get(digest)
        if known:
            return YamlDocument(path, display, data, text, digest), []
    try:
        data, string_keys = _load_plain(text)
    except PlainDataError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 0
        return None, [Diagnostic(display, line, err.field, str(err.problem))]
    except yaml.reader.ReaderError as err:  # the C reader (libyaml) gives a byte offset
        line = text.encode("utf-8")[: err.position].count(b"\n") + 1
        message = f"unacceptable character #x{err.character:04x}: {err.reason}"
        return None, [Diagnostic(display, line, "", f"YAML syntax error: {message}")]
    except yaml.MarkedYAMLError as err:
        return None, [_syntax_diagnostic(display, err, text)]
    except yaml.YAMLError as err:
        return None, [Diagnostic(display, 0, "", f"YAML error: {' '.join(str(err).split())}")]
    if cache is not None and string_keys:
        cache.put(digest, data)
    return YamlDocument(path, display, data, text, digest), []


_QUOTED_VALUE = re.compile(r"^\s*(?:-\s+)?(?:[\w.-]+:\s+)?(?P<quote>['\"])(?P<rest>.*)$")


def _unclosed_quote_line(text: str, before: int) -> int | None:
    """The first line above ``before`` whose value opens a quote that the line does not close.

    lvlmkb's files keep quoted values on one line; a quote left open makes YAML read on until the next
    quote character, so the error it reports is lines later than the mistake.
    """
    for number, line in enumerate(text.splitlines()[: max(before - 1, 0)], 1):
        match = _QUOTED_VALUE.match(line)
        if match is None:
            continue
        quote, rest = match.group("quote"), match.group("rest")
        closed = rest.replace("''", "").find("'") >= 0 if quote == "'" else re.search(r'(?<!\\)"', rest) is not None
        if not closed:
            return number
    return None


def _syntax_diagnostic(display: str, err: yaml.MarkedYAMLError, text: str) -> Diagnostic:
    """Locate a syntax error where its cause is: an unclosed quote or bracket is reported where it opens.

    libyaml notices an unterminated quoted scalar or flow collection only at the end of the stream; its
    context mark points at the opening character, which is the line the author has to fix.
    """
    problem = err.problem or "invalid YAML"
    if err.context_mark is not None and err.context and "end of stream" in problem:
        line = err.context_mark.line + 1
        opened = err.context.removeprefix("while scanning ").removeprefix("while parsing ")
        return Diagnostic(display, line, "", f"YAML syntax error: {opened} opened here is never closed")
    line = err.problem_mark.line + 1 if err.problem_mark else 0
    opened_at = _unclosed_quote_line(text, line)
    if opened_at is not None:
        message = f"a quoted value opened here is not closed on its line (YAML read on to line {line}: {problem})"
        return Diagnostic(display, opened_at, "", f"YAML syntax error: {message}")
    if err.context_mark is not None and err.context and err.context_mark.line + 1 != line:
        opened = err.context.removeprefix("while scanning ").removeprefix("while parsing ")
        problem = f"{problem} (in {opened} that opens on line {err.context_mark.line + 1})"
    return Diagnostic(display, line, "", f"YAML syntax error: {problem}")


class PlainDataError(yaml.MarkedYAMLError):
    """Valid YAML that is not plain data: aliases, merge keys, duplicate or complex keys."""

    def __init__(self, problem: str, node: yaml.Node, field: str = "") -> None:
        super().__init__(problem=problem, problem_mark=node.start_mark)
        self.field = field


def load_plain(text: str) -> Any:
    """Parse ``text`` into plain data (dicts, lists, scalars) with the C parser.

    The node tree is composed in C and turned into Python objects here: strings directly, other
    scalars through the safe constructor. Anchors and aliases, merge keys, non-scalar keys and
    duplicate keys are refused, so an alias bomb cannot expand and no key silently wins; so are
    tags that build non-plain values (``!!set``, ``!!binary`` ...), scalars the constructor cannot
    read (``!!bool maybe``, an integer of 5,000 digits) and nesting deeper than ``MAX_DEPTH``.
    """
    return _load_plain(text)[0]


def _load_plain(text: str) -> tuple[Any, bool]:
    """:func:`load_plain`, and whether every mapping key is a string (so JSON gives the data back unchanged)."""
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, True
        builder = _PlainBuilder(loader)
        return builder.build(node), builder.string_keys
    finally:
        loader.dispose()


class _PlainBuilder:
    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.seen: set[int] = set()
        self.string_keys = True

    def build(self, node: yaml.Node, depth: int = 0, top: str = "") -> Any:
        """Plain data of ``node``; ``top`` is the top-level key it sits under (named in errors)."""
        if id(node) in self.seen:
            raise PlainDataError("anchors and aliases (&name / *name) are not allowed in lvlmkb data", node)
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise PlainDataError(f"values are nested more than {MAX_DEPTH} levels deep", node, top)
        tag = node.tag
        if tag == _STR and isinstance(node, yaml.ScalarNode):
            return node.value
        if tag == _SEQ and isinstance(node, yaml.SequenceNode):
            return [self.build(item, depth + 1, top) for item in node.value]
        if tag == _MAP and isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth, top)
        return self._construct(node, top)

    def _construct(self, node: yaml.Node, top: str) -> Any:
        """Other scalars (int, float, bool, null, unknown tags) through the safe constructor."""
        if node.tag in _NOT_PLAIN:
            short = node.tag.replace(_TAG, "!!")
            raise PlainDataError(f"the tag {short} is not allowed in lvlmkb data; write a plain value", node, top)
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, LookupError, TypeError, OverflowError):  # !!bool maybe, !!int '', int('9' * 5000)
            raise PlainDataError(f"cannot read {_shown(node)} as {node.tag.replace(_TAG, '!!')}", node, top) from None
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise PlainDataError(f"{_shown(node)} is too large: integers must fit in 64 bits", node, top)
        return value

    def _mapping(self, node: yaml.MappingNode, depth: int, top: str) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise PlainDataError("merge keys (<<) are not allowed in lvlmkb data", key_node)
            key = self.build(key_node, depth, top)
            if not isinstance(key, str):
                if not isinstance(key, int | float | bool) and key is not None:
                    raise PlainDataError("a mapping key must be a plain value", key_node)
                self.string_keys = False
            if key in result:
                message = f"duplicate key (first defined on line {first_line[key]})"
                raise PlainDataError(message, key_node, str(key))
            first_line[key] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, depth + 1, top or str(key))
        return result


def _shown(node: yaml.Node) -> str:
    value = str(node.value)
    return repr(value if len(value) <= 30 else f"{value[:27]}...")


def _read_bytes(path: Path) -> tuple[bytes | None, str | None]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        return None, "is a directory, expected a YAML file"
    except OSError as err:
        return None, f"cannot read file: {err.strerror or err}"
    if len(raw) > MAX_FILE_BYTES:
        return None, f"file is too large (over {MAX_FILE_BYTES} bytes)"
    return raw, None


def _decode(raw: bytes) -> tuple[str | None, str | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        return None, f"not valid UTF-8 (byte {err.start}); save the file as UTF-8"


_UNSET = object()


def line_of(text: str, loc: Loc) -> int:
    """Return the line of the node at ``loc`` in ``text``; 1 when nothing closer is found."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return 1
    return line_in(node, loc)


def line_in(node: yaml.Node | None, loc: Loc) -> int:
    """The line of the node at ``loc`` below ``node``; 1 when nothing closer is found."""
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
