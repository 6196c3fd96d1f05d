"""``lvlmkb discover`` and ``add-paper --from-queue``: arXiv search answered from tests/data/online."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from lvlmkb import clock
from lvlmkb.cli import app
from lvlmkb.kb.discover.keywords import arxiv_query, topic_terms
from lvlmkb.kb.discover.run import search
from lvlmkb.kb.validate import open_kb, validate
from lvlmkb.project import Project
from tests.kb.online.support import FakeNet, feed_of, read, snapshot

DAY = dt.date(2026, 11, 30)
EXCLUDED = """\
excluded:
- title: Jailbreaking Text-Only Chatbots with Wordplay
  arxiv: '2611.90003'
  reason: A jailbreak of text-only language models; no image input.
  rule: text-only
"""
REVIEWED = """\
last_run: '2026-11-01'
items:
- arxiv: '2611.90005'
  version: 1
  title: Guarding VLMs with Moderation
  authors: [Rui Zhang]
  published: '2026-11-15'
  score: 1.0
  found: '2026-11-16'
  status: accept
  category: guard-model
  summary: Trains a moderation model that screens both the image and the text a VLM receives.
  notes: check whether the workshop is archival
- arxiv: '2611.80000'
  version: 1
  title: An Old Rejected Candidate
  published: '2026-10-02'
  score: 0
  found: '2026-11-01'
  status: reject
"""


@pytest.fixture
def kb(kb_root: Path, net: FakeNet, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The conftest KB with an exclusion, on the day the discover tests run."""
    (kb_root / "papers" / "excluded.yaml").write_text(EXCLUDED, encoding="utf-8")
    monkeypatch.setattr(clock, "today", lambda: DAY)
    return kb_root


def run(runner: CliRunner, root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--root", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def queue(root: Path) -> dict[str, dict[str, object]]:
    data = yaml.safe_load((root / "queue" / "discovered.yaml").read_text(encoding="utf-8"))
    return {item["arxiv"]: item for item in data["items"]}


def test_candidates_are_deduped_scored_and_queued(runner: CliRunner, kb: Path, net: FakeNet) -> None:
    code, out = run(runner, kb, "discover")
    assert code == 0, out
    assert "searched arXiv from 2026-10-31: 7 result(s)" in out
    assert "skipped: 2 known, 1 excluded, 1 withdrawn, 0 unusable" in out
    assert "queue/discovered.yaml: 3 new, 0 refreshed" in out
    items = queue(kb)
    assert list(items) == ["2611.90001", "2611.90005", "2611.90006"]  # best score first
    first = items["2611.90001"]
    suggested = {"category": "black-box-typography", "kind": "attack", "facets": {"access": ["black-box"]}}
    assert first["suggested"] == {**suggested, "matched": ["typographic"]}
    assert first["code"] == "https://github.com/example-lab/typotrap" and first["status"] == "new"
    assert first["found"] == "2026-11-30" and first["version"] == 1
    assert items["2611.90006"]["score"] == 0.0 and "suggested" not in items["2611.90006"]
    (search_request,) = net.requests("export.arxiv.org")
    query = search_request.url.params["search_query"]
    assert 'all:"vision-language model"' in query and "all:jailbreak" in query
    assert query.endswith("submittedDate:[202610310000 TO 202611302359]")
    assert search_request.url.params["sortBy"] == "submittedDate"
    assert validate(Project(kb)).ok  # the queue is not part of the KB


def test_a_second_run_keeps_every_reviewer_edit(runner: CliRunner, kb: Path, net: FakeNet) -> None:
    path = kb / "queue" / "discovered.yaml"
    path.parent.mkdir()
    path.write_text(REVIEWED, encoding="utf-8")
    code, out = run(runner, kb, "discover")
    assert code == 0, out
    assert "searched arXiv from 2026-11-01" in out and "2 new, 1 refreshed" in out
    items = queue(kb)
    assert list(items) == ["2611.90005", "2611.80000", "2611.90001", "2611.90006"]  # queued first, in their order
    reviewed = items["2611.90005"]
    assert reviewed["title"] == "Guarding Vision-Language Models with a Moderation Model" and reviewed["version"] == 2
    assert (reviewed["status"], reviewed["category"]) == ("accept", "guard-model")
    assert reviewed["notes"] == "check whether the workshop is archival" and str(reviewed["summary"]).startswith(
        "Trains"
    )
    assert items["2611.80000"]["status"] == "reject"
    assert yaml.safe_load(path.read_text())["last_run"] == "2026-11-30"


def test_a_queued_paper_that_joined_the_kb_is_marked_added(runner: CliRunner, kb: Path, net: FakeNet) -> None:
    path = kb / "queue" / "discovered.yaml"
    path.parent.mkdir()
    path.write_text(REVIEWED.replace("'2611.80000'", "'2403.01234'"), encoding="utf-8")
    run(runner, kb, "discover")
    assert queue(kb)["2403.01234"]["status"] == "reject"  # a reviewer's reject stays
    path.write_text(REVIEWED.replace("'2611.80000'", "'2403.01234'").replace("status: reject", "status: new"))
    run(runner, kb, "discover")
    assert queue(kb)["2403.01234"]["status"] == "added"


@pytest.mark.parametrize(
    "answers",
    [
        [httpx.Response(503)] * 3,
        [httpx.ReadTimeout("slow")] * 3,
        [httpx.Response(200, content=read("arxiv_search.xml")[:900])],
        [httpx.Response(200, content=read("arxiv_search.xml").replace(b"TypoTrap", b"Typo\xc0Trap"))],
    ],
)
def test_a_fault_leaves_the_queue_as_it_was(
    runner: CliRunner, kb: Path, net: FakeNet, answers: list[httpx.Response | Exception]
) -> None:
    path = kb / "queue" / "discovered.yaml"
    path.parent.mkdir()
    path.write_text(REVIEWED, encoding="utf-8")
    before = snapshot(kb)
    net.queue("export.arxiv.org", *answers)
    code, out = run(runner, kb, "discover")
    assert code == 1 and "arXiv" in out and "Traceback" not in out
    assert snapshot(kb) == before


def test_a_broken_queue_is_refused_before_any_request(runner: CliRunner, kb: Path, net: FakeNet) -> None:
    path = kb / "queue" / "discovered.yaml"
    path.parent.mkdir()
    path.write_text("items:\n- arxiv: nope\n", encoding="utf-8")
    code, out = run(runner, kb, "discover")
    assert code == 1 and "discovered.yaml: items.0.arxiv" in out and net.seen == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "is not a date"),
        (["--since", "2027-01-01"], "in the future"),
        (["--max", "0"], "out of range"),
    ],
)
def test_bad_options_are_usage_errors(runner: CliRunner, kb: Path, net: FakeNet, args: list[str], message: str) -> None:
    code, out = run(runner, kb, "discover", *args)
    assert code == 2 and message in out and net.seen == []


def test_query_narrows_the_search(runner: CliRunner, kb: Path, net: FakeNet) -> None:
    run(runner, kb, "discover", "--query", "GUI agent", "--since", "2026-11-20")
    query = net.requests("export.arxiv.org")[0].url.params["search_query"]
    assert ' AND all:"GUI agent" AND submittedDate:[202611200000 TO ' in query


def test_topic_terms_come_from_the_taxonomy_and_the_rules(kb: Path) -> None:
    taxonomy = open_kb(Project(kb))[0].taxonomy
    terms = topic_terms(taxonomy)
    assert terms[0] == "jailbreak"  # the objective facet's values come first
    assert {"prompt injection", "backdoor", "typography", "membership inference"} <= set(terms)
    assert "model" not in terms and len(terms) <= 60
    assert arxiv_query(taxonomy, "2026-11-01", "2026-11-30").count(" AND ") == 2


def test_search_pages_at_three_second_intervals(net: FakeNet) -> None:
    pages = [["2403.01234", "2406.90001"], ["2403.01234v2", "2406.90001"], []]
    for page in pages:
        net.queue("export.arxiv.org", httpx.Response(200, content=feed_of(page)))
    records = search(net.http(), "all:x", max_results=5, page_size=2)
    starts = [(r.url.params["start"], r.url.params["max_results"]) for r in net.requests("export.arxiv.org")]
    assert starts == [("0", "2"), ("2", "2"), ("4", "1")]
    assert [r.arxiv_id for r in records] == ["2403.01234", "2406.90001"]  # one record per paper
    times = net.times("export.arxiv.org")
    assert times[1] - times[0] == 3.0 and times[2] - times[1] == 3.0


def test_a_queue_item_becomes_an_entry(runner: CliRunner, kb: Path, net: FakeNet) -> None:
    run(runner, kb, "discover")
    net.seen.clear()
    args = ["--summary", "Typographic text in screenshots makes GUI agents follow harmful requests.", "--yes"]
    code, out = run(runner, kb, "add-paper", "--from-queue", "2611.90001", *args)
    assert code == 0, out
    assert net.seen == []  # the queue holds what discover read; nothing is fetched again
    assert "wrote papers/wu2026typotrap.yaml" in out and "marked 2611.90001 as added" in out
    text = (kb / "papers" / "wu2026typotrap.yaml").read_text(encoding="utf-8")
    assert "  title: {kind: arxiv, ref: 2611.90001v1, checked: '2026-11-30'}\n" in text
    assert "  urls.code: {kind: arxiv, ref: 2611.90001v1, checked: '2026-11-30'}\n" in text
    assert "category: black-box-typography" in text and "arxiv_version: 1" in text
    assert queue(kb)["2611.90001"]["status"] == "added" and queue(kb)["2611.90001"]["paper"] == "wu2026typotrap"
    assert validate(Project(kb)).ok
    code, out = run(runner, kb, "add-paper", "--from-queue", "2611.90001", *args)
    assert code == 2 and "was already added as papers/wu2026typotrap.yaml" in out


def test_the_reviewers_classification_is_used(runner: CliRunner, kb: Path, net: FakeNet) -> None:
    run(runner, kb, "discover")
    path = kb / "queue" / "discovered.yaml"
    data = yaml.safe_load(path.read_text())
    reviewed = next(i for i in data["items"] if i["arxiv"] == "2611.90005")
    reviewed.update(status="accept", summary="Trains a moderation model that screens image and text inputs.")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    code, out = run(runner, kb, "add-paper", "--from-queue", "https://arxiv.org/abs/2611.90005", "--no-interactive")
    assert code == 0, out
    paper = validate(Project(kb)).kb.papers["zhang2026guarding"]
    assert (paper.kind, paper.category, paper.arxiv_version) == ("defense", "guard-model", 2)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--from-queue", "2611.99999"], 1, "has no item 2611.99999"),
        (["--from-queue", "2611.80000"], 2, "queue item 2611.80000 is rejected"),
        (["2611.90005", "--from-queue", "2611.90005"], 2, "not both"),
    ],
)
def test_unusable_queue_items_are_refused(
    runner: CliRunner, kb: Path, net: FakeNet, args: list[str], code: int, message: str
) -> None:
    path = kb / "queue" / "discovered.yaml"
    path.parent.mkdir()
    path.write_text(REVIEWED, encoding="utf-8")
    before = snapshot(kb)
    found, out = run(runner, kb, "add-paper", *args, "--summary", "S.", "--yes")
    assert (found, message in out) == (code, True), out
    assert snapshot(kb) == before
