"""Escaping for contributed text: every string from the KB passes through here before output.

Markdown is rendered to HTML later (by MkDocs or GitHub), so text is neutralised twice: HTML-escaped
so raw tags and entities stay text, and Markdown-escaped so no link, emphasis or table syntax forms.
Links are emitted only for http(s) URLs, percent-encoding the characters that could end them early.
Control characters and invisible formatting characters (bidirectional overrides, zero-width marks)
are shown as U+FFFD, so contributed text can neither reorder nor hide what a page says.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

from lvlmkb.kb.schema.common import INVISIBLE

_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#!|])")
# Braces become character references, so no "{{" or "{%" reaches a Markdown file for a template engine.
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})
_UNSEEN = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{INVISIBLE}]")
_URL_FORBIDDEN = re.compile(rf"[\x00-\x20\x7f-\x9f\s{INVISIBLE}]")
_URL_UNSAFE = {
    " ": "%20",
    "(": "%28",
    ")": "%29",
    "<": "%3C",
    ">": "%3E",
    '"': "%22",
    "'": "%27",
    "`": "%60",
    "\\": "%5C",
    "|": "%7C",
    "[": "%5B",
    "]": "%5D",
}


def visible(text: str) -> str:
    """``text`` with each control or invisible formatting character replaced by U+FFFD (tab and newlines kept)."""
    return _UNSEEN.sub("\ufffd", text)


def md(text: str) -> str:
    """Markdown- and HTML-safe inline text: renders as exactly the characters given.

    Whitespace is folded to single spaces, so the text never starts a line of its own and the
    line-start markers (``-``, ``+``, ``1.``) need no escaping; callers always put it after a prefix.
    """
    flat = " ".join(visible(text).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False)).translate(_BRACES)


def md_code(text: str) -> str:
    """Inline code showing ``text`` verbatim.

    Markdown escapes HTML inside code spans itself; the fence is one backtick longer than any run of
    backticks in the text, so the text cannot close it.
    """
    flat = " ".join(visible(text).split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}" if flat else ""


def safe_url(url: str | None) -> str | None:
    """Return ``url`` fit for a Markdown link target, or None unless it is an absolute http(s) URL."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if _URL_FORBIDDEN.search(url):
        return None
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in url)


def md_link(text: str, url: str | None) -> str:
    """A Markdown link with escaped text, or the escaped text alone when the URL is not allowed."""
    target = safe_url(url)
    return f"[{md(text)}]({target})" if target else md(text)


def svg_text(text: str) -> str:
    """Text safe inside an SVG/XML element or attribute."""
    return xml_escape(visible(text), {'"': "&quot;", "'": "&apos;"})
