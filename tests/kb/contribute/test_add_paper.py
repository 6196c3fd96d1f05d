"""``lvlmkb add-paper`` end to end on a temporary KB, with arXiv's HTTP layer mocked."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app
from lvlmkb.kb.contribute import arxiv_api
from lvlmkb.kb.contribute.draft import propose_id
from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from lvlmkb.publish.readme import render_paper_list
from tests.conftest import DATA

CLASSIFY = [
    "--category", "black-box-typography", "--facet", "access=black-box", "--facet", "objective=jailbreak",
    "--summary", "Renders harmful requests as images of text and measures how often models comply.",
]  # fmt: skip
OFFLINE = [
    "--offline",
    "--title",
    "Glyph Games: Typographic Attacks on Assistants",
    "--authors",
    "Jane Doe; Li Wei",
    "--year",
    "2025",
    "--venue",
    "NeurIPS 2025",
]


@pytest.fixture
def arxiv_answers(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Response | Exception]:
    """Answers the mocked arXiv gives, in order; the test fills the list."""
    answers: list[httpx.Response | Exception] = []

    def handle(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(arxiv_api, "new_client", lambda: httpx.Client(transport=httpx.MockTransport(handle)))
    monkeypatch.setattr(arxiv_api, "BACKOFF_S", 0.0)
    return answers


def add(runner: CliRunner, root: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["add-paper", *args, "--root", str(root)], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def papers(root: Path) -> set[str]:
    return {p.name for p in (root / "papers").iterdir()}


def test_arxiv_paper_goes_to_file_validate_and_readme(
    runner: CliRunner, kb_root: Path, arxiv_answers: list[httpx.Response | Exception]
) -> None:
    arxiv_answers.append(httpx.Response(200, content=(DATA / "arxiv" / "ok.xml").read_bytes()))
    code, out = add(runner, kb_root, "https://arxiv.org/abs/2501.91234v2", *CLASSIFY, "--no-interactive")
    assert code == 0, out
    path = kb_root / "papers" / "example2025shadow.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=paper.schema.json\nid: example2025shadow\n")
    assert "code: https://github.com/example-lab/shadow-letters" in text and "phase: inference" in text
    assert "lvlmkb validate: ok: 2 papers" in out and "git switch -c add-example2025shadow" in out
    report = validate(Project(kb_root))
    assert report.ok and report.kb.papers["example2025shadow"].authors == ["Ada Example", "Ren Sample"]
    assert "Shadow Letters: Typographic Jailbreaks of Vision-Language Models" in render_paper_list(report.kb)


def test_unreachable_arxiv_is_a_clean_error_and_writes_nothing(
    runner: CliRunner, kb_root: Path, arxiv_answers: list[httpx.Response | Exception]
) -> None:
    arxiv_answers += [httpx.ConnectTimeout("no route")] * 3
    before = papers(kb_root)
    code, out = add(runner, kb_root, "2501.91234", *CLASSIFY, "--yes")
    assert code == 1 and "could not reach arXiv (timed out, 3 attempts)" in out and "--offline" in out
    assert "Traceback" not in out and papers(kb_root) == before


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(500), "HTTP 500"),
        (httpx.Response(200, content=b"<feed"), "malformed XML"),
        (httpx.Response(200, content=(DATA / "arxiv" / "withdrawn.xml").read_bytes()), "withdrawn"),
    ],
)
def test_arxiv_failures_write_nothing(
    runner: CliRunner,
    kb_root: Path,
    arxiv_answers: list[httpx.Response | Exception],
    answer: httpx.Response,
    message: str,
) -> None:
    arxiv_answers += [answer] * 3
    before = papers(kb_root)
    code, out = add(runner, kb_root, "2501.95555", *CLASSIFY, "--yes")
    assert code == 1 and message in out and papers(kb_root) == before


def test_offline_entry_with_suggestions_accepted(runner: CliRunner, kb_root: Path) -> None:
    code, out = add(runner, kb_root, *OFFLINE, "--summary", "Typographic images that carry a harmful request.", "--yes")
    assert code == 0, out
    assert "suggested category: black-box-typography (matched: typographic)" in out
    assert "wrote papers/doe2025glyph.yaml" in out
    paper = validate(Project(kb_root)).kb.papers["doe2025glyph"]
    assert (paper.category, paper.facets) == ("black-box-typography", {"access": ["black-box"]})
    assert paper.venue == "NeurIPS'25"


def test_duplicates_are_refused_by_arxiv_id_and_by_title(runner: CliRunner, kb_root: Path) -> None:
    code, out = add(runner, kb_root, "2403.01234", *CLASSIFY, "--yes")
    assert code == 1 and "papers/doe2024example.yaml has arXiv 2403.01234" in out
    code, out = add(runner, kb_root, "--offline", "--title", "an example  TYPOGRAPHIC attack!", "--authors", "X Y")
    assert code == 1 and "papers/doe2024example.yaml has the same title" in out


def test_invalid_classification_writes_nothing(runner: CliRunner, kb_root: Path) -> None:
    before = papers(kb_root)
    bad = ["--category", "black-box-typography", "--facet", "access=grey", "--summary", "S.", "--target", "gpt-9"]
    code, out = add(runner, kb_root, *OFFLINE, *bad, "--no-interactive")
    assert code == 2 and "'grey' is not a value of facet 'access'" in out and "unknown model 'gpt-9'" in out
    assert papers(kb_root) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--offline", "--title", "T"], "--year, --authors must be given"),
        ([*OFFLINE, "--no-interactive", "--summary", "S."], "no category given"),
        ([*OFFLINE, "--category", "black-box-typography", "--no-interactive"], "no summary given"),
        ([*OFFLINE, *CLASSIFY, "--id", "Bad_Id"], "not a slug id"),
        ([*OFFLINE, *CLASSIFY, "--id", "doe2024example"], "the id doe2024example is taken"),
        ([*OFFLINE, *CLASSIFY, "--facet", "noequals"], "is not FACET=VALUES"),
        ([*OFFLINE, *CLASSIFY, "--code", "javascript:alert(1)"], "only http(s) links"),
    ],
)
def test_bad_input_is_a_clear_error(runner: CliRunner, kb_root: Path, args: list[str], message: str) -> None:
    before = papers(kb_root)
    code, out = add(runner, kb_root, *args)
    assert code != 0 and message in out and "Traceback" not in out
    assert papers(kb_root) == before


def test_interactive_prompts_offer_the_taxonomy(runner: CliRunner, kb_root: Path) -> None:
    answers = (
        "defense\ninference\ninput-sanitization\nblack-box\nimage-text\njailbreak\n\nA safety prompt.\nsafety-prompt\n"
    )
    code, out = add(runner, kb_root, *OFFLINE, "--interactive", stdin=answers)
    assert code == 0, out
    assert "guard-model: " in out and "data-driven" not in out.split("Category")[0].split("Phase")[-1]
    paper = validate(Project(kb_root)).kb.papers["doe2025glyph"]
    assert (paper.kind, paper.phase, paper.category) == ("defense", "inference", "input-sanitization")
    assert paper.facets == {"access": ["black-box"], "modality": ["image-text"], "objective": ["jailbreak"]}
    assert paper.tags == ["safety-prompt"]


def test_interactive_facets_are_asked_again_on_a_typo(runner: CliRunner, kb_root: Path) -> None:
    answers = "attack\ninference\nblack-box-typography\nblak-box\nblack-box\n\n\n\nSummary.\n\n"  # access ... system
    code, out = add(runner, kb_root, *OFFLINE, "--interactive", stdin=answers)
    assert code == 0, out
    assert "not a value of access: blak-box" in out


def test_proposed_ids_are_unique_slugs() -> None:
    taken = {"doe2025glyph"}
    assert propose_id("Glyph Games", ["Jane Doe"], 2025, taken) == "doe2025glyph2"
    assert propose_id("SoK: On Éléphant Safety", ["José Núñez"], 2024, set()) == "nunez2024sok"
    assert propose_id("The Über Benchmark", [], 2026, set()) == "uber2026"
