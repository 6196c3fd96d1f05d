"""A KB seeded with hostile text builds a site and a README where none of it becomes markup."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from lvlmkb.publish.escape import md, md_link, safe_url
from lvlmkb.publish.readme import END, START, render_paper_list
from tests.conftest import REPO, VALID_PAPER

pytest.importorskip("mkdocs")

PAYLOADS = [
    "<script>alert('xss-1')</script>",
    "<img src=x onerror=\"alert('xss-2')\">",
    "[click](javascript:alert('xss-3'))",
    "<a href='javascript:alert(1)'>xss-4</a>",
    "**bold** __under__ `code` | pipe | # heading",
    "&lt;script&gt;alert('xss-5')&lt;/script&gt; &#106;avascript:alert(6)",
    "<svg onload=alert('xss-7')>",
    "![img](https://evil.example/x.png) <https://evil.example/auto>",
    '{: onclick="alert(8)"} <iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style><!-- comment -->",
    "</title><script>alert('xss-9')</script><title>",
    "\"><script>alert('xss-10')</script>",
]


def hostile_paper(index: int, payload: str) -> str:
    data = yaml.safe_load(VALID_PAPER)
    data.update(
        id=f"evil2024p{index}",
        title=f"T{index} {payload}",
        authors=[f"A {payload}", "B"],
        affiliations=[payload],
        venue=f"V {payload}",
        arxiv=f"2403.{10000 + index}",
        summary=f"Summary {payload}",
        notes=f"Notes {payload}",
        sources={
            field: {"kind": "author-page", "ref": f"R {payload}", "via": f"via {payload}", "checked": "2026-01-05"}
            for field in ("title", "authors", "date", "venue", "urls.code")
        },
        reported_results=[
            {
                "model": "llava-1.5-7b",
                "benchmark": f"B {payload}",
                "setting": payload,
                "metric": "ASR",
                "value": 1.0,
                "source": f"Table {payload}",
            }
        ],
    )
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.fixture
def hostile_kb(kb_root: Path) -> Path:
    for index, payload in enumerate(PAYLOADS):
        (kb_root / "papers" / f"evil2024p{index}.yaml").write_text(hostile_paper(index, payload), encoding="utf-8")
    (kb_root / "site").mkdir()
    repo_site = REPO / "site"
    (kb_root / "site" / "mkdocs.yml").write_text((repo_site / "mkdocs.yml").read_text())
    (kb_root / "site" / "docs").mkdir()
    (kb_root / "site" / "docs" / "contributing.md").write_text("# Contributing\n")
    node = {
        "id": "evil-node",
        "label": PAYLOADS[-2],
        "parent": "black-box",
        "definition": f"D {PAYLOADS[0]}",
        "note": PAYLOADS[1],
    }
    (kb_root / "taxonomy" / "evil.yaml").write_text(yaml.safe_dump({"nodes": [node]}), encoding="utf-8")
    excluded = [{"title": f"X{i} {payload}", "reason": f"Reason {payload}"} for i, payload in enumerate(PAYLOADS)]
    excluded[0]["url"] = "https://evil.example/x"
    text = yaml.safe_dump({"excluded": excluded}, allow_unicode=True)
    (kb_root / "papers" / "excluded.yaml").write_text(text, encoding="utf-8")
    assert validate(Project(kb_root)).ok
    return kb_root


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.bad: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"iframe", "style", "img"} and any("evil" in (v or "") for _, v in attrs):
            self.bad.append(f"<{tag} {attrs}>")
        if tag == "svg" and any(k == "onload" for k, _ in attrs):
            self.bad.append(f"<svg {attrs}>")
        for key, value in attrs:
            if key.startswith("on") and "alert" in (value or ""):
                self.bad.append(f"<{tag} {key}={value}>")
            if key in {"href", "src"} and (value or "").strip().lower().startswith(("javascript:", "data:")):
                self.bad.append(f"<{tag} {key}={value}>")
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_site_has_no_injected_markup(hostile_kb: Path, tmp_path: Path) -> None:
    from lvlmkb.publish.site.build import build_site

    result = build_site(Project(hostile_kb), out=tmp_path / "out")
    pages = list(result.out.rglob("*.html"))
    assert len(pages) > 20
    paper_pages = [p for p in pages if p.parent.name == "papers" and p.stem.startswith("evil")]
    assert len(paper_pages) == len(PAYLOADS)
    for page in pages:
        collector = _Collector()
        collector.feed(page.read_text(encoding="utf-8"))
        assert collector.bad == [], page
        assert not any("xss" in s or "alert(" in s for s in collector.scripts), page
        title = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), re.DOTALL)
        assert title is None or "<" not in title.group(1), page
    # The text arrives intact, as text.
    first = (result.out / "papers" / "evil2024p0.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in first
    listing = (result.out / "papers" / "index.html").read_text(encoding="utf-8")
    assert "Left out (12)" in listing and "Reason &lt;script&gt;alert(" in listing
    index = json.loads((result.out / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not any("<script>alert" in doc.get("text", "") for doc in index["docs"])


def test_readme_block_has_no_injected_markup(hostile_kb: Path) -> None:
    import markdown

    report = validate(Project(hostile_kb))
    block = render_paper_list(report.kb)
    assert block.startswith(START) and block.endswith(END)
    html = markdown.markdown(block, extensions=["tables"])
    collector = _Collector()
    collector.feed(html)
    assert collector.bad == []
    assert "<script>" not in html and "<iframe" not in html and "<svg" not in html
    assert not re.search(r'href="javascript', html)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "//evil.example",
        "file:///etc/passwd",
        "https://",
        "http://exa mple.com",
        "java\tscript:x",
    ],
)
def test_only_http_links_are_emitted(url: str) -> None:
    assert safe_url(url) is None
    assert "](" not in md_link("text", url)


def test_link_targets_cannot_break_out() -> None:
    assert md_link("x", 'https://e.org/a)b<c>"d') == "[x](https://e.org/a%29b%3Cc%3E%22d)"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_escapes_every_payload(payload: str) -> None:
    import markdown

    html = markdown.markdown(md(payload), extensions=["tables"])
    assert "<" not in html.removeprefix("<p>").removesuffix("</p>")


@pytest.mark.parametrize("payload", [*PAYLOADS, "`", "a ``b`` c", "`start", "end`"])
def test_md_code_shows_payloads_verbatim(payload: str) -> None:
    import markdown

    from lvlmkb.publish.escape import md_code

    html = markdown.markdown(md_code(payload), extensions=["tables"])
    inner = html.removeprefix("<p><code>").removesuffix("</code></p>")
    assert "<" not in inner
    assert inner.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip() == " ".join(payload.split())
