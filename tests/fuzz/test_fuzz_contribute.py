"""Fuzzing add-paper's inputs: arXiv references, arXiv's Atom answers and the command line.

Examples per run (derandomized): references 100 + random bodies 60 + mutated feeds 100 + command lines 50
(+ 2 explicit) + accepted text read back 40 = 350 generated examples.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.errors import UsageError
from lvlmkb.kb.contribute import arxiv_api
from lvlmkb.kb.contribute.arxiv_api import (
    NEW_STYLE,
    OLD_STYLE,
    ArxivLookupError,
    ArxivRecord,
    parse_arxiv_ref,
    parse_feed,
)
from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from tests.conftest import DATA, make_kb
from tests.fuzz.support import ODD_CHARS, Examples, fuzz, odd_text, snapshot

OK_FEED = (DATA / "arxiv" / "ok.xml").read_bytes()
OK_ID = "2501.91234"
BARE_ID = re.compile(rf"(?:{NEW_STYLE}|{OLD_STYLE})", re.IGNORECASE)

prefixes = st.sampled_from(
    ["", "arXiv:", "ARXIV: ", "https://arxiv.org/abs/", "http://export.arxiv.org/pdf/", "https://www.arxiv.org/html/",
     "ftp://arxiv.org/abs/", "https://arxiv.org.evil/abs/", " ", "\u00a0"]
)  # fmt: skip
cores = st.from_regex(r"\d{4}\.\d{4,5}", fullmatch=True) | st.from_regex(r"[a-z-]+(\.[A-Z]{2})?/\d{7}", fullmatch=True)
suffixes = st.sampled_from(["", "v2", "v", ".pdf", "/", "v3.pdf/", "v" + "9" * 40, "\n", "?x=1", "#a", "\x00"])
references = odd_text | st.builds(lambda a, b, c, d: a + b + d + c, prefixes, cores, suffixes, odd_text | st.just(""))


def test_references_parse_to_a_bare_id_or_a_usage_error() -> None:
    seen = Examples()

    @fuzz(100)
    @given(text=references)
    def prop(text: str) -> None:
        seen()
        try:
            found = parse_arxiv_ref(text)
        except UsageError as err:
            assert "arXiv" in err.message and err.hint
            return
        assert BARE_ID.fullmatch(found), found
        assert found in text or found.lower() in text.lower()

    prop()
    assert seen.count >= 100


def _check_feed(body: bytes, arxiv_id: str) -> None:
    try:
        record = parse_feed(body, arxiv_id)
    except ArxivLookupError as err:
        assert arxiv_id in err.message and err.hint
        return
    assert isinstance(record, ArxivRecord) and record.title and record.arxiv_id == arxiv_id
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record.published) and isinstance(record.year, int)
    assert all(isinstance(a, str) and a for a in record.authors)


def test_random_bodies_are_lookup_errors() -> None:
    seen = Examples()

    @fuzz(60)
    @given(body=st.binary(max_size=500) | st.builds(lambda a, b: OK_FEED[: len(a) * 8] + b, st.binary(), st.binary()))
    def prop(body: bytes) -> None:
        seen()
        _check_feed(body, OK_ID)

    prop()
    assert seen.count >= 60


DECLARATIONS = [b"utf-16", b"latin-1", b"no-such-codec", b"utf-7", b"cp037", b"", b"UTF-32", b"\xff"]
XML_BITS = [
    b"<!DOCTYPE feed>", b'<!ENTITY a "b">', b"&a;", b"&#0;", b"&#x110000;", b"<![CDATA[x]]>", b"<?pi x?>",
    b"</entry>", b"<entry>", b"<published>", b"0000-00-00", b"\xef\xbb\xbf", b"\x00", b"]]>", b"<title/>",
    b"<author><name/></author>",
]  # fmt: skip


def _mutate_feed(data: st.DataObject) -> bytes:
    body = OK_FEED
    for op in data.draw(st.lists(st.sampled_from(["cut", "insert", "copy", "text", "encoding", "bits"]), max_size=3)):
        start = data.draw(st.integers(0, len(body)))
        end = data.draw(st.integers(start, min(len(body), start + 200)))
        if op == "cut":
            body = body[:start] + body[end:]
        elif op == "insert":
            body = body[:start] + data.draw(st.binary(max_size=20)) + body[start:]
        elif op == "copy":
            body = body[:end] + body[start:end] + body[end:]
        elif op == "text":
            element = data.draw(st.sampled_from([b"title", b"published", b"name", b"summary", b"id", b"arxiv:comment"]))
            text = data.draw(odd_text).encode("utf-8", "surrogatepass")
            opening = re.search(rb"<" + element + rb"[^>]*>", body)
            if opening is not None:
                tail = re.sub(rb"^[^<]*", b"", body[opening.end() :], count=1)
                body = body[: opening.end()] + text + tail
        elif op == "encoding":
            body = body.replace(b'encoding="UTF-8"', b'encoding="' + data.draw(st.sampled_from(DECLARATIONS)) + b'"')
        else:
            body = body[:start] + data.draw(st.sampled_from(XML_BITS)) + body[start:]
    return body


def test_mutated_feeds_are_records_or_lookup_errors() -> None:
    seen = Examples()

    @fuzz(100)
    @given(data=st.data(), arxiv_id=st.sampled_from([OK_ID, "2501.91234v2", "cs/0112017", ""]))
    def prop(data: st.DataObject, arxiv_id: str) -> None:
        seen()
        _check_feed(_mutate_feed(data), arxiv_id)

    prop()
    assert seen.count >= 100


VALID_ARGS = {
    "--title": "Glyph Games: Typographic Attacks on Assistants",
    "--authors": "Jane Doe; Li Wei",
    "--year": "2025",
    "--category": "black-box-typography",
    "--summary": "Renders harmful requests as images of text.",
}
OPTIONAL = ["--date", "--venue", "--code", "--kind", "--notes", "--id", "--tag", "--target"]
ARGV_CHARS = [*ODD_CHARS, "\udc80", "\udcff", ";", "=", ",", "-", " ", "'", '"', ":", "#", "&", "*", "!"]
argv_text = st.text(alphabet=st.sampled_from(ARGV_CHARS) | st.characters(), max_size=30)
facets = st.lists(
    st.one_of(
        st.sampled_from(["access=black-box", "modality=image-text", "objective=jailbreak,jailbreak", "access=,,"]),
        st.sampled_from(["access=black-box", "modality=image-text"]),
        st.builds(lambda a, b: f"{a}={b}", st.sampled_from(["access", "objective", "", " ", "x"]), argv_text),
        argv_text,
    ),
    max_size=3,
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"add-paper --offline contacted {request.url}")

    monkeypatch.setattr(arxiv_api, "new_client", lambda: httpx.Client(transport=httpx.MockTransport(refuse)))


@pytest.mark.usefixtures("no_network")
def test_command_line_values_give_a_file_or_a_clean_error(tmp_path: Path) -> None:
    root, seen, runner, written = make_kb(tmp_path / "kb"), Examples(), CliRunner(), Examples()

    @fuzz(50)
    @example(changed={"--title": "Bad \udcff title"}, extra={}, facet_values=[], ref=None)
    @example(changed={}, extra={"--tag": "typo\udc80"}, facet_values=["access=black-box\udcff"], ref=None)
    @given(
        changed=st.dictionaries(st.sampled_from(sorted(VALID_ARGS)), argv_text | st.none(), max_size=2),
        extra=st.dictionaries(st.sampled_from(OPTIONAL), argv_text, max_size=3),
        facet_values=facets,
        ref=st.one_of(st.none(), st.none(), st.none(), references),
    )
    def prop(changed: dict[str, str | None], extra: dict[str, str], facet_values: list[str], ref: str | None) -> None:
        seen()
        values = {**VALID_ARGS, **changed, **extra}
        args = ["add-paper", "--offline", "--no-interactive", "--root", str(root)]
        args += [f"{name}={value}" for name, value in values.items() if value is not None]
        args += [f"--facet={value}" for value in facet_values] + ([f"{ref}"] if ref else [])
        before = snapshot(root)
        result = runner.invoke(app, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output, result.output
        if result.exit_code != 0:
            assert "error" in result.output.lower() or "usage" in result.output.lower(), result.output
            assert snapshot(root) == before
            return
        new = sorted(set(snapshot(root)) - set(before))
        assert len(new) == 1 and new[0].startswith("papers/") and new[0].endswith(".yaml"), new
        report = validate(Project(root))
        assert report.ok, [d.render() for d in report.diagnostics]
        (root / new[0]).unlink()
        written()

    prop()
    assert seen.count >= 50 and written.count, "the command-line fuzzer never produced a valid entry"


YAML_SPECIAL = [*"\r\n\u2028\u2029\xa0\t '\":#-\\{[!&*%|>~?,"]


@pytest.mark.usefixtures("no_network")
def test_accepted_text_reads_back_unchanged(tmp_path: Path) -> None:
    root, seen, runner = make_kb(tmp_path / "kb"), Examples(), CliRunner()
    target, written = root / "papers" / "fuzz2025paper.yaml", Examples()
    yaml_text = st.text(st.characters() | st.sampled_from(YAML_SPECIAL), max_size=40)

    @fuzz(40)
    @given(title=yaml_text, summary=yaml_text, notes=yaml_text)
    def prop(title: str, summary: str, notes: str) -> None:
        seen()
        target.unlink(missing_ok=True)
        values = {**VALID_ARGS, "--title": f"T {title}", "--summary": summary, "--notes": notes}
        args = ["add-paper", "--offline", "--no-interactive", "--root", str(root), "--id", "fuzz2025paper"]
        before = snapshot(root)
        result = runner.invoke(app, [*args, *(f"{name}={value}" for name, value in values.items())])
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code in (0, 2), result.output
        if result.exit_code != 0:
            assert snapshot(root) == before
            return
        paper = validate(Project(root)).kb.papers["fuzz2025paper"]
        assert (paper.title, paper.summary, paper.notes) == (
            f"T {title}".strip(),
            summary.strip(),
            notes.strip() or None,
        )
        written()

    prop()
    assert seen.count >= 40 and written.count, "no fuzzed text was accepted"
