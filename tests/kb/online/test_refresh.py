"""``lvlmkb refresh`` end to end on a temporary KB, every service answered from tests/data/online."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from tests.conftest import VALID_PAPER
from tests.kb.online.support import GUARD_PAPER, Answer, FakeNet, feed_of, snapshot

ARXIV, OPENALEX = "export.arxiv.org", "api.openalex.org"

DOE_REFRESHED = (
    VALID_PAPER.replace("Typographic Attack\n", "Typographic Attack on Vision-Language Models\n")
    .replace("- John Roe\n", "- John Roe\n- Ann Smith\n")
    .replace("arxiv_version: 2\n", "arxiv_version: 3\n")
    .replace(
        "  title: {kind: arxiv, ref: 2403.01234v2, checked: '2026-01-05'}\n"
        "  authors: {kind: arxiv, ref: 2403.01234v2, checked: '2026-01-05'}\n",
        "  title: {kind: arxiv, ref: 2403.01234v3, checked: '2026-03-01'}\n"
        "  authors: {kind: arxiv, ref: 2403.01234v3, checked: '2026-03-01'}\n",
    )
    + "citations: {count: 42, source: semantic-scholar, checked: '2026-03-01'}\n"
)  # fmt: skip
GUARD_REFRESHED = (
    GUARD_PAPER.replace("year: 2024\nvenue: arXiv'24\n", "year: 2025\nvenue: CVPR'25\n").replace(
        "  venue: {kind: arxiv, ref: 2406.90001v1, checked: '2026-01-05'}\n",
        "  venue: {kind: dblp, ref: 'https://dblp.org/rec/conf/cvpr/Lee25', checked: '2026-03-01'}\n",
    )
    + "citations: {count: 7, source: openalex, checked: '2026-03-01'}\n"
)


def refresh(runner: CliRunner, root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["refresh", *args, "--root", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def paper_text(root: Path, paper_id: str) -> str:
    return (root / "papers" / f"{paper_id}.yaml").read_text(encoding="utf-8")


def test_dry_run_prints_the_diff_and_writes_nothing(runner: CliRunner, two_papers: Path, net: FakeNet) -> None:
    before = snapshot(two_papers)
    code, out = refresh(runner, two_papers)
    assert code == 0, out
    assert (
        "~ title: 'An Example Typographic Attack' -> 'An Example Typographic Attack on Vision-Language Models'" in out
    )
    assert "(arXiv 2403.01234v2 -> 2403.01234v3)" in out and "~ arxiv_version: 2 -> 3" in out
    assert "+- Ann Smith" in out and "+venue: CVPR'25" in out and "+citations: {count: 42" in out
    assert "nothing written (dry run); run again with --write to apply" in out
    assert snapshot(two_papers) == before


def test_write_edits_only_the_changed_lines(runner: CliRunner, two_papers: Path, net: FakeNet) -> None:
    code, out = refresh(runner, two_papers, "--write")
    assert code == 0, out
    assert "wrote 2 file(s)" in out
    assert paper_text(two_papers, "doe2024example") == DOE_REFRESHED
    assert paper_text(two_papers, "lee2024guard") == GUARD_REFRESHED  # the comment line is kept too
    report = validate(Project(two_papers))
    assert report.ok, [d.render() for d in report.diagnostics]
    assert report.kb.papers["lee2024guard"].citations is not None
    code, out = refresh(runner, two_papers, "--write")  # a second run finds nothing new
    assert code == 0 and "0 to change" in out and "wrote 0 file(s)" in out


def test_arxiv_requests_are_three_seconds_apart(runner: CliRunner, two_papers: Path, net: FakeNet) -> None:
    refresh(runner, two_papers)
    times = net.times("export.arxiv.org")
    assert len(times) == 2 and times[1] - times[0] >= 3.0
    batch, recorded = net.requests("export.arxiv.org")
    assert batch.url.params["id_list"] == "2403.01234,2406.90001" and recorded.url.params["id_list"] == "2403.01234v2"


def test_a_human_edit_is_a_conflict_and_is_kept(runner: CliRunner, kb_root: Path, net: FakeNet) -> None:
    path = kb_root / "papers" / "doe2024example.yaml"
    path.write_text(VALID_PAPER.replace("title: An Example Typographic Attack\n", "title: My Better Title\n"))
    before = path.read_bytes()
    code, out = refresh(runner, kb_root, "--write", "--check", "arxiv")
    assert code == 0, out
    assert "! conflict: title: edited by hand (differs from 2403.01234v2, its source" in out
    assert path.read_bytes() == before  # the authors move with the title, so nothing of the arXiv part is written


def test_a_field_unverified_and_different_is_a_conflict(runner: CliRunner, kb_root: Path, net: FakeNet) -> None:
    path = kb_root / "papers" / "doe2024example.yaml"
    data = VALID_PAPER.replace("  authors: {kind: arxiv, ref: 2403.01234v2, checked: '2026-01-05'}\n", "")
    path.write_text(data + "unverified: [authors]\n")
    code, out = refresh(runner, kb_root, "--check", "arxiv")
    assert code == 0 and "authors: the file's value is unverified and differs from arXiv 2403.01234v3" in out


def test_a_venue_that_dblp_contradicts_is_a_conflict(runner: CliRunner, two_papers: Path, net: FakeNet) -> None:
    path = two_papers / "papers" / "lee2024guard.yaml"
    unsourced = GUARD_PAPER.replace("venue: arXiv'24", "venue: ICML'24").replace(
        "  venue: {kind: arxiv, ref: 2406.90001v1, checked: '2026-01-05'}\n", ""
    )
    path.write_text(unsourced + "unverified: [venue]\n")  # a venue given by hand, never confirmed
    code, out = refresh(runner, two_papers, "--write", "--check", "venue", "lee2024guard")
    assert code == 0, out
    assert "venue: the file says ICML'24, DBLP says CVPR'25 (https://dblp.org/rec/conf/cvpr/Lee25)" in out
    assert "venue: ICML'24" in path.read_text()


def test_a_moved_repository_is_followed_and_a_missing_one_reported(
    runner: CliRunner, kb_root: Path, net: FakeNet
) -> None:
    net.queue("github.com", httpx.Response(301, headers={"location": "https://github.com/example/attack-v2"}))
    code, out = refresh(runner, kb_root, "--write", "--check", "code")
    assert code == 0, out
    text = paper_text(kb_root, "doe2024example")
    assert "  code: https://github.com/example/attack-v2\n" in text
    assert "urls.code: {kind: official-repo, ref: 'https://github.com/example/attack-v2'" in text
    assert "via: 'redirect from https://github.com/example/attack'}" in text
    net.queue("github.com", httpx.Response(404))
    code, out = refresh(runner, kb_root, "--write", "--check", "code")
    assert "answers HTTP 404; the repository may be gone" in out and paper_text(kb_root, "doe2024example") == text


def test_semantic_scholar_429_honours_retry_after(runner: CliRunner, kb_root: Path, net: FakeNet) -> None:
    net.queue("api.semanticscholar.org", httpx.Response(429, headers={"Retry-After": "7"}))
    code, out = refresh(runner, kb_root, "--write", "--check", "citations")
    assert code == 0, out
    assert 7.0 in net.clock.sleeps and len(net.requests("api.semanticscholar.org")) == 2
    assert "citations: {count: 42, source: semantic-scholar" in paper_text(kb_root, "doe2024example")


def test_semantic_scholar_down_falls_back_to_openalex(runner: CliRunner, kb_root: Path, net: FakeNet) -> None:
    net.queue("api.semanticscholar.org", *[httpx.Response(503)] * 3)
    code, out = refresh(runner, kb_root, "--write", "--check", "citations")
    assert code == 0, out
    assert "note: Semantic Scholar: could not reach Semantic Scholar (HTTP 503, 3 attempts)" in out
    assert {1.0, 2.0} <= set(net.clock.sleeps)  # the backoff doubles
    assert "citations: {count: 40, source: openalex" in paper_text(kb_root, "doe2024example")


def test_5xx_is_retried_and_the_later_answer_used(runner: CliRunner, two_papers: Path, net: FakeNet) -> None:
    net.queue("dblp.org", httpx.Response(502), httpx.ConnectError("reset"))
    code, out = refresh(runner, two_papers, "--write", "--check", "venue")
    assert code == 0, out
    assert len(net.requests("dblp.org")) == 3 and "venue: CVPR'25" in paper_text(two_papers, "lee2024guard")


ATOM = b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>"
NOT_UTF8_FEED = feed_of(["2403.01234"]).replace(b"Example", b"Ex\xe4mple")
FAULTS: dict[str, tuple[str, list[Answer], str]] = {
    "arXiv timeouts": (ARXIV, [httpx.ReadTimeout("slow")] * 3, "could not reach arXiv (timed out, 3 attempts)"),
    "arXiv malformed feed": (ARXIV, [httpx.Response(200, content=ATOM)], "malformed XML"),
    "arXiv non-UTF-8 feed": (ARXIV, [httpx.Response(200, content=NOT_UTF8_FEED)], "not a plain Atom feed"),
    "arXiv HTTP 400": (ARXIV, [httpx.Response(400)], "arXiv answered HTTP 400"),
    "DBLP 5xx": ("dblp.org", [httpx.Response(500)] * 3, "could not reach DBLP (HTTP 500, 3 attempts)"),
    "DBLP truncated JSON": ("dblp.org", [httpx.Response(200, content=b'{"result": ')], "DBLP's answer is not JSON"),
    "DBLP wrong shape": ("dblp.org", [httpx.Response(200, json={"result": {}})], "DBLP's answer lacks 'hits'"),
    "OpenAlex non-UTF-8": (OPENALEX, [httpx.Response(200, content=b'{"n": "\xff"}')], "OpenAlex's answer is not UTF-8"),
    "OpenAlex long Retry-After": (OPENALEX, [httpx.Response(429, headers={"Retry-After": "3600"})], "wait 3600 s"),
    "code host timeouts": ("github.com", [httpx.ConnectTimeout("no route")] * 3, "could not reach the code host"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_leaves_every_file_as_it_was(runner: CliRunner, two_papers: Path, net: FakeNet, fault: str) -> None:
    host, answers, message = FAULTS[fault]
    if host == OPENALEX:  # reached only for papers Semantic Scholar does not answer
        net.queue("api.semanticscholar.org", *[httpx.Response(503)] * 3)
    net.queue(host, *answers)
    before = snapshot(two_papers)
    code, out = refresh(runner, two_papers, "--write")
    assert code == 1, out
    assert message in out and "no file was changed" in out and "Traceback" not in out
    assert snapshot(two_papers) == before


def test_a_file_changed_meanwhile_stops_every_write(runner: CliRunner, two_papers: Path, net: FakeNet) -> None:
    path = two_papers / "papers" / "lee2024guard.yaml"

    def edit_then_answer(request: httpx.Request) -> httpx.Response:
        path.write_text(GUARD_PAPER.replace("summary: A defensive", "summary: An edited"), encoding="utf-8")
        return httpx.Response(200)

    net.defaults["github.com"] = edit_then_answer
    code, out = refresh(runner, two_papers, "--write")
    assert code == 1 and "papers/lee2024guard.yaml changed while refresh ran; no file was written" in out
    assert paper_text(two_papers, "doe2024example") == VALID_PAPER


def test_unknown_ids_and_checks_are_clear_errors(runner: CliRunner, kb_root: Path, net: FakeNet) -> None:
    code, out = refresh(runner, kb_root, "nobody2020paper")
    assert code == 1 and "no loadable paper nobody2020paper" in out
    code, out = refresh(runner, kb_root, "--check", "stars")
    assert code == 2 and "unknown check(s): stars" in out
    assert net.seen == []


def test_a_layout_that_defeats_the_line_edit_is_reported_not_written(
    runner: CliRunner, kb_root: Path, net: FakeNet
) -> None:
    path = kb_root / "papers" / "doe2024example.yaml"
    data = yaml.safe_load(VALID_PAPER)
    flow = VALID_PAPER.split("sources:\n")[0] + "sources: " + yaml.safe_dump(data["sources"], default_flow_style=True)
    path.write_text(flow, encoding="utf-8")
    before = path.read_bytes()
    code, out = refresh(runner, kb_root, "--write", "--check", "arxiv")
    assert code == 0, out
    assert "! not written: sources is written inline" in out and path.read_bytes() == before
