"""Settings, strategies and oracles shared by the fuzz tests.

Every property runs with ``derandomize=True`` and no example database, so CI sees the same examples on
every run. Each test defines its property inside its body, runs it once, and asserts how many examples
were executed (:class:`Examples`), so a property that silently stops generating fails its test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from lvlmkb.errors import Diagnostic

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
)


def fuzz(max_examples: int) -> settings:
    """The shared settings with ``max_examples`` examples."""
    return settings(FUZZ, max_examples=max_examples)


@dataclass
class Examples:
    """Counts the examples a property body ran."""

    count: int = 0

    def __call__(self) -> None:
        """Note one example."""
        self.count += 1


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (hidden and temporary ones included) with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# Control and odd characters that editors, terminals and parsers treat specially.
ODD_CHARS = [chr(c) for c in (*range(0x00, 0x20), 0x7F, 0x85, 0xA0, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0x1F600)]
odd_text = st.text(alphabet=st.sampled_from(ODD_CHARS) | st.characters(), max_size=40)
huge_numbers = st.sampled_from(
    ["9" * 5000, "-" + "1" * 4400, "0x" + "f" * 4000, "0o" + "7" * 6000, "1e400", "-.inf", ".nan", "1_000_" * 800 + "1"]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    odd_text,
)


def nested(leaves: st.SearchStrategy[Any], max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Lists and string-keyed dicts of ``leaves``, a few levels deep."""
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=max_leaves,
    )


def deep(depth: int, kind: str) -> str:
    """A value nested ``depth`` levels: flow lists, flow maps or block lists."""
    if kind == "flow-list":
        return "[" * depth + "x" + "]" * depth
    if kind == "flow-map":
        return "{a: " * depth + "x" + "}" * depth
    return "".join("  " * level + "-\n" for level in range(depth)) + "  " * depth + "- x"


def check_diagnostics(diagnostics: list[Diagnostic], path: str, text: str | None) -> None:
    """Each diagnostic names ``path``, a line inside the file (0 = the whole file) and a one-line message.

    Lines are YAML's: besides LF, a lone CR, NEL and U+2028/U+2029 end a line (as for ``str.splitlines``).
    """
    lines = len(text.splitlines()) + 1 if text is not None else 0
    for diagnostic in diagnostics:
        rendered = diagnostic.render()
        assert diagnostic.path == path, rendered
        assert 0 <= diagnostic.line <= lines, rendered
        assert diagnostic.message.strip(), rendered
        assert rendered.isprintable() and "Traceback" not in rendered, rendered
        prefix = f"{path}:{diagnostic.line}:" if diagnostic.line else f"{path}:"
        assert rendered.startswith(prefix), rendered
