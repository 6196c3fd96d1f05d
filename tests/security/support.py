"""Helpers shared by the security tests: hostile records, an HTML checker and a source scanner."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.conftest import REPO, VALID_PAPER

# The characters the schema refuses in text and the renderers show as U+FFFD.
UNSEEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
SOURCE_DIRS = ("kb/lvlmkb", "reproductions", "bench")


def paper_yaml(**changes: Any) -> str:
    """The conftest paper with ``changes`` applied, as YAML."""
    data = yaml.safe_load(VALID_PAPER)
    data.update(changes)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def run_record(**changes: Any) -> dict[str, Any]:
    """A complete version-2 ``run.json`` payload; each change updates its section's keys (or replaces a list)."""
    rate = {"n": 4, "successes": 2, "asr": 0.5, "ci95": [0.15, 0.85]}
    plugin = {"version": "1", "paper": "doe2024example", "config": {}, "deviations": []}
    record: dict[str, Any] = {
        "record_version": 2,
        "created": "2025-01-01T00:00:00+00:00",
        "method": {"id": "figstep", "kind": "attack", "setting": "s", **plugin},
        "defense": None,
        "model": {"alias": "llava-1.5-7b", "checkpoint": None, "revision": None, "backend": "mock"},
        "backend": {"backend": "mock"},
        "dataset": {"name": "safebench", "path": "safebench.csv", "sha256": "0" * 64, "samples": 4, "limit": None},
        "generation": {"max_new_tokens": 8, "temperature": 0.0, "top_p": 1.0, "seed": 0, "batch_size": 1},
        "provenance": {"packages": {}, "git": {"commit": None, "dirty": None}, "python": "3", "platform": "x"},
        "counts": {"samples": 4, "unique_requests": 4},
        "aggregates": [{"judge": "refusal", "judge_info": {}, "overall": rate, "per_category": {}}],
        "reported": [],
    }
    for key, value in changes.items():
        if key == "defense" and isinstance(value, dict):
            record[key] = {"kind": "defense", "setting": "", **plugin, **value}
        elif isinstance(value, dict) and isinstance(record.get(key), dict):
            record[key] = {**record[key], **value}
        else:
            record[key] = value
    return record


class MarkupChecker(HTMLParser):
    """Collects every element and attribute of rendered HTML that contributed text could have produced."""

    ALLOWED_TAGS = frozenset(
        {"p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "code", "pre"}
        | {"ul", "ol", "li", "strong", "em", "img", "small", "div", "hr", "br"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED_TAGS:
            self.problems.append(f"<{tag}>")
        for key, value in attrs:
            value = value or ""
            if key.startswith("on") or key in {"style", "srcdoc", "formaction"}:
                self.problems.append(f"<{tag} {key}={value!r}>")
            if key == "href" and not _safe_href(value):
                self.problems.append(f"<{tag} href={value!r}>")
            if key == "src" and not value.lstrip("./").startswith(("assets/", "https://img.shields.io/github/stars/")):
                self.problems.append(f"<{tag} src={value!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _safe_href(value: str) -> bool:
    parts = urlsplit(value)
    if parts.scheme:
        return parts.scheme in ("http", "https") and bool(parts.netloc)
    return not value.startswith("//")


def markup_problems(html: str) -> list[str]:
    """Elements and attributes in ``html`` that no escaped text can produce."""
    checker = MarkupChecker()
    checker.feed(html)
    checker.close()
    return checker.problems


def python_files() -> Iterator[Path]:
    """Every Python source of the package, the plugins and the benchmarks."""
    for folder in SOURCE_DIRS:
        yield from sorted((REPO / folder).rglob("*.py"))


@functools.cache
def syntax_tree(path: Path) -> ast.Module:
    """The parsed source of ``path`` (parsed once per session)."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def calls(path: Path) -> Iterator[ast.Call]:
    """Every call expression in ``path``."""
    yield from (node for node in ast.walk(syntax_tree(path)) if isinstance(node, ast.Call))


def dotted(node: ast.expr) -> str:
    """``a.b.c`` for a name or attribute chain, else an empty string."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""
