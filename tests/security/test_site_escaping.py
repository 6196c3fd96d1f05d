"""Contributed text renders inert: site pages, SVG charts and the README, built by the generator functions."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from lvlmkb.publish.escape import md, md_code, svg_text, visible
from lvlmkb.publish.readme import render_paper_list
from lvlmkb.publish.site.build import generate_pages
from tests.conftest import PaperWriter
from tests.security.support import UNSEEN, markup_problems, paper_yaml, run_record

markdown = pytest.importorskip("markdown")

PAYLOADS = [
    "<script>alert('xss-1')</script>",
    '"><img src=x onerror=alert(2)>',
    "[click](javascript:alert(3)) [y](JaVaScRiPt:alert(3))",
    "<div>\n<script>alert(4)</script>\n</div>",
    "{% raw %}{{ config.__class__ }}{% endraw %}",
    "{{ 7*7 }} {%- include 'x' -%}",
    "![i](https://evil.example/p.png) <https://evil.example/auto>",
    "&lt;script&gt;alert(5)&lt;/script&gt; &#106;avascript:x",
    "| cell | # heading **bold** `code` ``x``",
    '<a href="data:text/html,x" style="x">y</a><iframe srcdoc=x>',
]
BIDI = ["\u202e", "\u2066", "\u200f", "\u061c", "\ufeff", "\x1b[31m", "\x00", "\x07", "\x85"]
MD_EXTENSIONS = ["tables", "admonition", "toc"]


def _hostile_paper(index: int, payload: str) -> str:
    result = {"model": "llava-1.5-7b", "metric": "ASR", "value": 1.0}
    result.update({key: f"{key} {payload}" for key in ("benchmark", "setting", "attack", "defense", "source")})
    return paper_yaml(
        id=f"evil2024p{index}",
        arxiv=f"2403.{10000 + index}",
        title=f"T{index} {payload}",
        authors=[f"A {payload}", "B"],
        affiliations=[payload],
        venue=f"V {payload}",
        summary=f"Summary {payload}",
        notes=f"Notes {payload}",
        reported_results=[{**result, "notes": payload}],
        relations={"compared_with": ["doe2024example"]},
        sources={
            field: {"kind": "author-page", "ref": f"R {payload}", "via": f"via {payload}", "checked": "2026-01-05"}
            for field in ("title", "authors", "date", "venue", "urls.code")
        },
    )


def _hostile_runs(root: Path) -> None:
    """Run records are JSON from ``runs/``: bidi and escapes in valid text reach the Results page; odd types do not."""
    hostile = PAYLOADS[0] + "".join(BIDI)
    records = {
        "a": run_record(
            method={"id": hostile, "setting": PAYLOADS[1] + BIDI[0]},
            defense={"id": PAYLOADS[2]},
            model={"alias": PAYLOADS[4]},
            dataset={"name": PAYLOADS[3]},
            aggregates=[
                {
                    "judge": "x|" + hostile,
                    "judge_info": {"list_sha256": PAYLOADS[6]},
                    "overall": {"n": 1, "successes": 1, "asr": 1.0, "ci95": [0.2, 1.0]},
                    "per_category": {},
                }
            ],
            reported=[
                {
                    "paper": PAYLOADS[5],
                    "model": "m",
                    "benchmark": PAYLOADS[3],
                    "metric": "ASR",
                    "value": 9.0,
                    "source": PAYLOADS[1],
                    "setting": PAYLOADS[0],
                }
            ],
        ),
        "b": run_record(method={"id": ["not", "text"], "setting": 7}, model={}, dataset={"name": None}),
    }
    for name, record in records.items():
        folder = root / "runs" / name
        folder.mkdir(parents=True)
        (folder / "run.json").write_text(json.dumps(record), encoding="utf-8")


@pytest.fixture
def hostile_kb(kb_root: Path, write_paper: PaperWriter) -> Path:
    for index, payload in enumerate(PAYLOADS):
        write_paper(f"evil2024p{index}", _hostile_paper(index, payload))
    node = {"id": "evil-node", "label": PAYLOADS[1], "parent": "black-box", "definition": PAYLOADS[0]}
    (kb_root / "taxonomy" / "evil.yaml").write_text(yaml.safe_dump({"nodes": [node]}), encoding="utf-8")
    _hostile_runs(kb_root)
    report = validate(Project(kb_root))
    assert report.ok, [d.render() for d in report.diagnostics]
    return kb_root


def _split_front_matter(text: str) -> tuple[dict[str, object], str]:
    if not text.startswith("---\n"):
        return {}, text
    front, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(front), body


def test_generated_pages_render_inert(hostile_kb: Path) -> None:
    pages = generate_pages(validate(Project(hostile_kb)).kb)
    markdown_pages = {path: text for path, text in pages.items() if path.endswith(".md")}
    assert {"results.md", "papers/evil2024p0.md", "papers/index.md", "taxonomy/evil-node.md"} <= set(markdown_pages)
    for path, text in markdown_pages.items():
        front, body = _split_front_matter(text)
        assert "{{" not in text and "{%" not in text, path
        assert not UNSEEN.search(text), path
        assert "<" not in str(front.get("title", "")), path
        html = markdown.markdown(body, extensions=MD_EXTENSIONS)
        assert markup_problems(html) == [], path
    first = markdown.markdown(_split_front_matter(markdown_pages["papers/evil2024p0.md"])[1], extensions=MD_EXTENSIONS)
    assert "&lt;script&gt;alert('xss-1')&lt;/script&gt;" in first  # shown as text, not dropped


def test_results_page_shows_hostile_run_records_as_text(hostile_kb: Path) -> None:
    results = generate_pages(validate(Project(hostile_kb)).kb)["results.md"]
    html = markdown.markdown(results, extensions=MD_EXTENSIONS)
    assert markup_problems(html) == []
    assert "&lt;script&gt;alert('xss-1')&lt;/script&gt;\ufffd" in html  # the bidi and escape bytes became U+FFFD
    assert "['not', 'text']" not in html  # a record with odd types is not a run record: listed, not a crash
    assert "Unreadable run records: <code>runs/b/run.json</code>" in html and "runs/a/run.json" not in html


def test_svg_charts_are_well_formed_and_scriptless(hostile_kb: Path) -> None:
    pages = generate_pages(validate(Project(hostile_kb)).kb)
    charts = {path: text for path, text in pages.items() if path.endswith(".svg")}
    assert len(charts) == 4
    for path, text in charts.items():
        root = ET.fromstring(text)
        for element in root.iter():
            assert not element.tag.endswith(("script", "foreignObject")), path
            assert not [key for key in element.attrib if key.lower().startswith("on")], path
    assert "&lt;img src=x onerror=alert(2)&gt;" in pages["assets/taxonomy.svg"]


def test_readme_block_renders_inert(hostile_kb: Path) -> None:
    block = render_paper_list(validate(Project(hostile_kb)).kb)
    assert "{{" not in block and "{%" not in block and not UNSEEN.search(block)
    html = markdown.markdown(block, extensions=["tables"])
    assert markup_problems(html) == []
    assert "&lt;script&gt;alert('xss-1')&lt;/script&gt;" in html


@pytest.mark.parametrize("char", BIDI)
def test_invisible_and_control_characters_are_shown(char: str) -> None:
    text = f"abc{char}def"
    for rendered in (md(text), md_code(text), svg_text(text), visible(text)):
        assert not UNSEEN.search(rendered)
        assert "\ufffd" in rendered or char.isspace()
    ET.fromstring(f"<t>{svg_text(text)}</t>")  # well-formed XML whatever the input


def test_page_titles_are_escaped_for_the_theme() -> None:
    from lvlmkb.publish.site.links import front_matter

    header = yaml.safe_load("\n".join(front_matter("</title><script>{{x}}</script>\u202e\x1b", ["t"])[1:-2]))
    assert not UNSEEN.search(header["title"]) and not set("<>{}&") & set(header["title"])


@pytest.mark.parametrize("field", ["title", "summary", "venue", "notes"])
@pytest.mark.parametrize("char", ["\u202e", "\u2067", "\x1b", "\x00"])
def test_validation_refuses_invisible_characters(
    write_paper: PaperWriter, kb_root: Path, field: str, char: str
) -> None:
    write_paper("doe2024example", paper_yaml(**{field: f"Looks fine{char}txt.exe"}))
    report = validate(Project(kb_root))
    messages = [d.render() for d in report.diagnostics if d.severity == "error"]
    assert any(f"{field}:" in m and f"U+{ord(char):04X}" in m for m in messages), messages
    assert "doe2024example" not in report.kb.papers


@pytest.mark.parametrize(
    ("field", "value"),
    [("tags", ["<script>"]), ("tags", ["a b"]), ("category", 'x"><svg onload=alert(1)>'), ("targets", ["../x"])],
)
def test_identifier_fields_admit_no_markup(write_paper: PaperWriter, kb_root: Path, field: str, value: object) -> None:
    write_paper("doe2024example", paper_yaml(**{field: value}))
    report = validate(Project(kb_root))
    assert not report.ok and "doe2024example" not in report.kb.papers
