"""Every row of the source lists is a paper file or an exclusion with a reason; none is lost."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from lvlmkb.kb.checks import normalised_title
from lvlmkb.kb.validate import ValidationReport, validate
from lvlmkb.project import Project
from tests.conftest import DATA, REPO

SOURCE = DATA / "source_lists" / "lvlm-safety-papers.tsv"
MORE = DATA / "source_lists" / "more-lists.tsv"
MORE_COLUMNS = ["title", "arxiv_id", "paper_url", "code_url", "venue", "year", "sources", "source_labels"]
MORE_LISTS = {
    "Awesome-VLA-Safety",
    "Awesome-VLA-Security",
    "awesome-vla-attacks",
    "Awesome-GUI-Agent-Safety",
    "Awesome-Embodied-AI-Safety",
    "Awesome-VLM-Adversarial-Robustness",
    "Awesome-MLLMs-Attacks-Defenses",
    "Awesome-Jailbreak-on-LLMs",
    "Awesome-LM-SSP",
    "Awesome-Multimodal-Jailbreak",
    "awesome-mllm-guardrails",
}


@functools.cache
def report() -> ValidationReport:
    return validate(Project(REPO))


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def rows() -> list[dict[str, str]]:
    return read_tsv(SOURCE)


def more_rows() -> list[dict[str, str]]:
    return read_tsv(MORE)


def keys(arxiv: str | None, title: str) -> set[str]:
    found = {f"t:{normalised_title(title)}"}
    return found | {f"a:{arxiv}"} if arxiv else found


LISTED_TITLES = DATA / "source_lists" / "listed_titles.tsv"


def paper_keys() -> set[str]:
    """Keys of every paper, and of the other titles a list gives a paper (``listed_titles.tsv``)."""
    known: set[str] = set()
    for paper in report().kb.papers.values():
        known |= keys(paper.arxiv, paper.title)
    for row in read_tsv(LISTED_TITLES):
        if row["paper_id"] in report().kb.papers:
            known |= keys(None, row["title"])
    return known


def test_every_listed_title_names_a_paper_with_a_reason() -> None:
    rows = read_tsv(LISTED_TITLES)
    assert all(row["paper_id"] in report().kb.papers and len(row["reason"]) >= 20 for row in rows)
    papers = report().kb.papers
    assert all(normalised_title(r["title"]) != normalised_title(papers[r["paper_id"]].title) for r in rows)


def exclusion_keys() -> set[str]:
    known: set[str] = set()
    for entry in report().kb.excluded:
        known |= keys(entry.arxiv, entry.title)
    return known


def test_the_source_list_is_the_one_documented() -> None:
    listed = rows()
    assert len(listed) == 343 and sum(r["in_seed_list"] == "yes" for r in listed) == 107


def test_every_row_is_a_paper_or_an_exclusion() -> None:
    known = paper_keys() | exclusion_keys()
    missing = [r["title"] for r in rows() if not keys(r["arxiv_id"], r["title"]) & known]
    assert missing == []


def test_every_seed_row_is_a_paper() -> None:
    known = paper_keys()
    missing = [r["title"] for r in rows() if r["in_seed_list"] == "yes" and not keys(r["arxiv_id"], r["title"]) & known]
    assert missing == []


def test_exclusions_give_reasons_and_are_few() -> None:
    kb = report().kb
    assert all(len(e.reason) >= 20 for e in kb.excluded)
    assert len(kb.papers) >= 330


def test_the_more_lists_table_is_the_one_documented() -> None:
    with MORE.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
    listed = more_rows()
    assert header == MORE_COLUMNS
    assert len(listed) == 326
    assert all(r["title"] and r["sources"] and r["source_labels"] for r in listed)
    assert all(set(r["sources"].split(";")) <= MORE_LISTS for r in listed)


def test_the_more_lists_table_has_one_row_per_paper() -> None:
    seen: set[str] = set()
    for row in more_rows():
        found = keys(row["arxiv_id"], row["title"])
        assert not found & seen, row["title"]
        seen |= found


PENDING = DATA / "source_lists" / "pending.tsv"


def pending_rows() -> list[dict[str, str]]:
    with PENDING.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_every_more_lists_row_is_a_paper_an_exclusion_or_pending() -> None:
    """Pending rows are in scope but not yet entered; the list is public so that nothing is silently dropped."""
    known = paper_keys() | exclusion_keys()
    pending: set[str] = set()
    for row in pending_rows():
        pending |= keys(row["arxiv_id"] or None, row["title"])
    missing = [r["title"] for r in more_rows() if not keys(r["arxiv_id"], r["title"]) & (known | pending)]
    assert missing == []


def test_pending_rows_give_a_reason_and_are_not_stale() -> None:
    known = paper_keys() | exclusion_keys()
    rows = pending_rows()
    assert all(len(row["reason"]) >= 20 for row in rows)
    stale = [row["title"] for row in rows if keys(row["arxiv_id"] or None, row["title"]) & known]
    assert stale == [], "entered or excluded since: remove these rows from pending.tsv"


def test_more_lists_exclusions_name_their_list() -> None:
    by_key: dict[str, set[str]] = {}
    for entry in report().kb.excluded:
        for key in keys(entry.arxiv, entry.title):
            by_key.setdefault(key, set()).update(entry.listed_in)
    papers = paper_keys()
    for row in more_rows():
        found = keys(row["arxiv_id"], row["title"])
        if found & papers or not found & by_key.keys():
            continue
        listed: set[str] = set()
        for key in found:
            listed |= by_key.get(key, set())
        assert listed & set(row["sources"].split(";")), row["title"]
