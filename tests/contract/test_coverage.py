"""Every row of the merged source list is a paper file or an exclusion with a reason; none is lost."""

from __future__ import annotations

import csv
import functools

from lvlmkb.checks import normalised_title
from lvlmkb.project import Project
from lvlmkb.validate import ValidationReport, validate
from tests.conftest import DATA, REPO

SOURCE = DATA / "source_lists" / "lvlm-safety-papers.tsv"


@functools.cache
def report() -> ValidationReport:
    return validate(Project(REPO))


def rows() -> list[dict[str, str]]:
    with SOURCE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def keys(arxiv: str | None, title: str) -> set[str]:
    found = {f"t:{normalised_title(title)}"}
    return found | {f"a:{arxiv}"} if arxiv else found


def test_the_source_list_is_the_one_documented() -> None:
    listed = rows()
    assert len(listed) == 343 and sum(r["in_seed_list"] == "yes" for r in listed) == 107


def test_every_row_is_a_paper_or_an_exclusion() -> None:
    kb = report().kb
    known: set[str] = set()
    for paper in kb.papers.values():
        known |= keys(paper.arxiv, paper.title)
    for entry in kb.excluded:
        known |= keys(entry.arxiv, entry.title)
    missing = [r["title"] for r in rows() if not keys(r["arxiv_id"], r["title"]) & known]
    assert missing == []


def test_every_seed_row_is_a_paper() -> None:
    kb = report().kb
    known: set[str] = set()
    for paper in kb.papers.values():
        known |= keys(paper.arxiv, paper.title)
    missing = [r["title"] for r in rows() if r["in_seed_list"] == "yes" and not keys(r["arxiv_id"], r["title"]) & known]
    assert missing == []


def test_exclusions_give_reasons_and_are_few() -> None:
    kb = report().kb
    assert all(len(e.reason) >= 20 for e in kb.excluded)
    assert len(kb.papers) >= 330
