"""Only absolute http(s) links, everywhere a link enters lvlmkb: the schema, the renderers, add-paper and arXiv."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from lvlmkb.kb.contribute.add import Classification, Metadata, add_paper
from lvlmkb.kb.contribute.arxiv_api import parse_feed
from lvlmkb.kb.contribute.draft import DraftInvalidError
from lvlmkb.kb.schema.paper import Urls
from lvlmkb.kb.validate import open_kb, validate
from lvlmkb.project import Project
from lvlmkb.publish.escape import md_link, safe_url
from lvlmkb.publish.readme import paper_entry
from tests.conftest import DATA, PaperWriter
from tests.security.support import paper_yaml

BAD_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://example.org/%0aalert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,x",
    "file:///etc/passwd",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "\\\\evil.example\\x",
    "https:evil.example",
    "https:///evil.example",
    "https://",
    "ftp://example.org/x",
    "https://exa mple.org/",
    "https://example.org/\x00",
    "https://example.org/\u202egnp.exe",
    "https://example.org/\u200b",
    "https://example.org/\u2028x",
]
GOOD_URLS = ["https://github.com/example/attack", "http://example.org/a?b=1#c", "HTTPS://Example.org/x"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_schema_refuses(url: str) -> None:
    with pytest.raises(ValidationError):
        Urls(code=url)


@pytest.mark.parametrize("url", GOOD_URLS)
def test_schema_accepts_http_links(url: str) -> None:
    assert Urls(paper=url).paper == url


@pytest.mark.parametrize("url", BAD_URLS)
def test_renderers_emit_no_link(url: str) -> None:
    assert safe_url(url) is None
    assert "](" not in md_link("text", url)


def test_a_bad_link_in_a_paper_file_is_a_located_error(kb_root: Path, write_paper: PaperWriter) -> None:
    write_paper("doe2024example", paper_yaml(urls={"paper": "https://arxiv.org/abs/2403.01234", "code": BAD_URLS[1]}))
    report = validate(Project(kb_root))
    codes = [d for d in report.diagnostics if d.field == "urls.code"]
    assert codes and "only http(s) links are allowed" in codes[0].message and codes[0].line > 1
    assert "doe2024example" not in report.kb.papers


def test_readme_entry_links_only_http(kb_root: Path) -> None:
    paper = validate(Project(kb_root)).kb.papers["doe2024example"]
    unchecked = Urls.model_construct(paper=BAD_URLS[1], code=BAD_URLS[7])  # as if the schema had been bypassed
    entry = paper_entry(paper.model_copy(update={"urls": unchecked}))
    assert "**An Example Typographic Attack**" in entry  # the title, unlinked
    assert "](" not in entry and "img.shields.io" not in entry


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "//evil.example/x", "data:,x"])
def test_add_paper_refuses_a_bad_code_link(kb_root: Path, url: str) -> None:
    kb, _ = open_kb(Project(kb_root))
    meta = Metadata("A New Attack On Models", ["Ada Lovelace"], 2025, code_url=url)
    cls = Classification(kind="attack", category="black-box-typography", summary="A summary.")
    before = sorted(p.name for p in (kb_root / "papers").iterdir())
    with pytest.raises(DraftInvalidError) as info:
        add_paper(kb, meta, cls, "lovelace2025attack")
    assert "only http(s) links are allowed" in str(info.value.diagnostics) or "valid http(s) URL" in str(
        info.value.diagnostics
    )
    assert sorted(p.name for p in (kb_root / "papers").iterdir()) == before


def test_arxiv_code_links_are_http_only() -> None:
    feed = (DATA / "arxiv" / "ok.xml").read_text(encoding="utf-8")
    abstract = (
        "Code: javascript:alert(1)//github.com/a/b, JaVaScRiPt://github.com/c/d, data:text/html,github.com/e/f, "
        "//github.com/g/h and https://github.com/real/repo."
    )
    start, end = feed.index("<summary>") + len("<summary>"), feed.index("</summary>")
    record = parse_feed((feed[:start] + abstract + feed[end:]).encode("utf-8"), "2501.91234")
    assert record.code_links == ["https://github.com/real/repo", "https://github.com/example-lab/shadow-letters"]
    assert all(Urls(code=link).code == link for link in record.code_links)
