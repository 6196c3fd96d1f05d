"""Provenance of the entries add-paper writes: arXiv sources, ``unverified`` flag values, ``--source``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.kb.contribute import arxiv_api
from lvlmkb.kb.contribute.draft import DraftInvalidError, checked_paper
from lvlmkb.kb.validate import open_kb, validate
from lvlmkb.project import Project
from tests.conftest import DATA, VALID_PAPER

TODAY = dt.date.today().isoformat()
CLASSIFY = [
    "--category",
    "black-box-typography",
    "--summary",
    "Typographic images that carry a harmful request.",
    "--yes",
]
OFFLINE = ["--offline", "--title", "Glyph Games", "--authors", "Jane Doe; Li Wei", "--year", "2025"]


@pytest.fixture
def arxiv_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    body = (DATA / "arxiv" / "ok.xml").read_bytes()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    monkeypatch.setattr(arxiv_api, "new_client", lambda: httpx.Client(transport=transport))


def add(runner: CliRunner, root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["add-paper", *args, "--root", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def written(root: Path, paper_id: str) -> dict[str, object]:
    data = yaml.safe_load((root / "papers" / f"{paper_id}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.usefixtures("arxiv_ok")
def test_arxiv_fields_get_arxiv_sources_and_flag_fields_go_unverified(runner: CliRunner, kb_root: Path) -> None:
    code, out = add(runner, kb_root, "2501.91234", "--venue", "ICLR 2025", *CLASSIFY)
    assert code == 0, out
    data = written(kb_root, "example2025shadow")
    arxiv = {"kind": "arxiv", "ref": "2501.91234v2", "checked": TODAY}
    assert data["arxiv_version"] == 2
    assert data["sources"] == {
        "title": arxiv,
        "authors": arxiv,
        "date": {**arxiv, "ref": "2501.91234v1"},  # the first version's date
        "urls.code": arxiv,  # the link is in the abstract and the comment
    }
    assert data["unverified"] == ["venue"]
    assert not [d for d in validate(Project(kb_root)).diagnostics if d.field == "sources"]


@pytest.mark.usefixtures("arxiv_ok")
def test_a_given_source_replaces_unverified_and_a_title_flag_is_unverified(runner: CliRunner, kb_root: Path) -> None:
    venue_source = "venue=proceedings:https://openreview.net/forum?id=abc"
    code, out = add(
        runner,
        kb_root,
        "2501.91234",
        "--venue",
        "ICLR 2025",
        "--source",
        venue_source,
        "--title",
        "My Title",
        *CLASSIFY,
    )
    assert code == 0, out
    data = written(kb_root, "example2025my")
    sources = data["sources"]
    assert isinstance(sources, dict)
    assert sources["venue"] == {"kind": "proceedings", "ref": "https://openreview.net/forum?id=abc", "checked": TODAY}
    assert data["unverified"] == ["title"] and sources["authors"]["ref"] == "2501.91234v2"


def test_offline_values_are_all_unverified_unless_sourced(runner: CliRunner, kb_root: Path) -> None:
    extra = ["--date", "2025-02-01", "--code", "https://github.com/doe/glyph"]
    code, out = add(
        runner, kb_root, *OFFLINE, *extra, "--source", "urls.code=official-repo:https://github.com/doe/glyph", *CLASSIFY
    )
    assert code == 0, out
    data = written(kb_root, "doe2025glyph")
    assert data["unverified"] == ["title", "authors", "date"]
    assert data["sources"] == {
        "urls.code": {"kind": "official-repo", "ref": "https://github.com/doe/glyph", "checked": TODAY}
    }
    assert "arxiv_version" not in data


@pytest.mark.parametrize(
    ("source", "code", "message"),
    [
        ("venue", 2, "is not FIELD=KIND:REF"),
        ("venue=proceedings", 2, "is not FIELD=KIND:REF"),
        ("abstract=arxiv:2501.91234v1", 2, "unknown field 'abstract'"),
        ("title=wikipedia:https://x.org", 2, "'wikipedia' is not a source kind"),
        ("urls.project=author-page:https://x.org", 2, "a source for 'urls.project', which the entry does not set"),
        ("title=arxiv:2501.91234", 2, "an arXiv source names its version"),
    ],
)
def test_bad_sources_are_refused_and_nothing_is_written(
    runner: CliRunner, kb_root: Path, source: str, code: int, message: str
) -> None:
    before = sorted(p.name for p in (kb_root / "papers").iterdir())
    found, out = add(runner, kb_root, *OFFLINE, "--source", source, *CLASSIFY)
    assert (found, message in out) == (code, True), out
    assert sorted(p.name for p in (kb_root / "papers").iterdir()) == before


def test_the_draft_check_makes_a_missing_source_an_error(kb_root: Path) -> None:
    kb, _ = open_kb(Project(kb_root))
    text = VALID_PAPER.replace("id: doe2024example", "id: roe2024other").replace("title: An Example", "title: Another")
    text = text.replace("arxiv: '2403.01234'", "arxiv: '2403.05678'").split("arxiv_version:")[0]
    with pytest.raises(DraftInvalidError) as err:
        checked_paper(kb, text, "roe2024other")
    missing = {d.message.split("'")[1] for d in err.value.diagnostics}
    assert missing == {"title", "authors", "date", "venue", "urls.code"}
    assert all(d.severity == "error" for d in err.value.diagnostics)
