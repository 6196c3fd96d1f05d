"""The rules that decide what refresh may change (lvlmkb.kb.refresh.plan) and DBLP's venue spellings."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import yaml

from lvlmkb.kb.contribute.arxiv_api import ArxivRecord
from lvlmkb.kb.refresh.lookups import CitationCount, VenueHit, dblp_to_venue
from lvlmkb.kb.refresh.plan import Findings, plan_entry, versions_to_compare
from lvlmkb.kb.schema import Paper
from tests.conftest import VALID_PAPER

DAY = "2026-03-01"
V2 = ArxivRecord("2403.01234", "An Example Typographic Attack", ["Jane Doe", "John Roe"], "2024-03-05", version=2)
V3 = dataclasses.replace(V2, title="An Example Typographic Attack on VLMs", version=3)


def paper(**changes: Any) -> Paper:
    data = yaml.safe_load(VALID_PAPER)
    data.update(changes)
    return Paper.model_validate(data)


def paths(found: Findings, entry: Paper) -> dict[str, Any]:
    return {".".join(c.path): c.new for c in plan_entry(entry, found, DAY).changes}


def test_a_newer_version_is_taken_when_the_file_still_holds_the_recorded_one() -> None:
    entry = paper()
    assert versions_to_compare(entry, V3) == ["2403.01234v2"]
    changes = paths(Findings(latest=V3, recorded={"2403.01234v2": V2}, arxiv_asked=True), entry)
    assert changes["title"] == V3.title and changes["arxiv_version"] == 3
    assert changes["sources.title"] == {"kind": "arxiv", "ref": "2403.01234v3", "checked": DAY}
    assert changes["sources.authors"]["ref"] == "2403.01234v3"  # moves with the title, unchanged value


def test_a_title_that_follows_another_source_is_only_noted() -> None:
    sources = yaml.safe_load(VALID_PAPER)["sources"]
    sources["title"] = {"kind": "proceedings", "ref": "https://example.org/p", "checked": "2026-01-05"}
    plan = plan_entry(paper(sources=sources), Findings(latest=V3, recorded={}, arxiv_asked=True), DAY)
    assert not plan.conflicts and "title follows proceedings https://example.org/p" in plan.notes[0]
    assert [c.path for c in plan.changes] == [("arxiv_version",), ("sources", "authors")]


def test_an_unverified_value_that_arxiv_confirms_gains_the_source() -> None:
    sources = yaml.safe_load(VALID_PAPER)["sources"]
    del sources["title"]
    changes = paths(Findings(latest=V2, arxiv_asked=True), paper(sources=sources, unverified=["title"]))
    assert changes == {
        "sources.title": {"kind": "arxiv", "ref": "2403.01234v2", "checked": DAY},
        "unverified": None,
    }


def test_a_withdrawn_paper_is_a_conflict() -> None:
    gone = dataclasses.replace(V3, withdrawn=True, comment="withdrawn: the results did not hold")
    plan = plan_entry(paper(), Findings(latest=gone, arxiv_asked=True), DAY)
    assert plan.changes == [] and "withdrawn: the results did not hold" in plan.conflicts[0]


def test_a_recorded_version_arxiv_did_not_return_is_a_conflict() -> None:
    plan = plan_entry(paper(), Findings(latest=V3, recorded={}, arxiv_asked=True), DAY)
    assert plan.changes == [] and "could not be read to compare" in plan.conflicts[0]


def test_an_unchanged_count_writes_nothing_and_no_check_date_moves() -> None:
    counted = paper(citations={"count": 5, "source": "openalex", "checked": "2026-01-05"})
    assert paths(Findings(latest=V2, arxiv_asked=True, citations=CitationCount(5, "openalex")), counted) == {}
    changed = paths(Findings(citations=CitationCount(6, "openalex")), counted)
    assert changed == {"citations": {"count": 6, "source": "openalex", "checked": DAY}}


def test_a_venue_dblp_confirms_gains_the_source_without_changing() -> None:
    sources = yaml.safe_load(VALID_PAPER)["sources"]
    del sources["venue"]
    hit = VenueHit("NeurIPS'24", True, 2024, "https://dblp.org/rec/conf/nips/Doe24")
    changes = paths(Findings(venue=hit), paper(sources=sources, unverified=["venue"]))
    assert changes == {"sources.venue": {"kind": "dblp", "ref": hit.ref, "checked": DAY}, "unverified": None}


def test_an_unmapped_dblp_venue_is_only_noted() -> None:
    hit = VenueHit("IEEE Trans. Inf. Forensics Secur.", False, 2025, "https://dblp.org/rec/journals/tifs/X25")
    plan = plan_entry(paper(venue="arXiv'24"), Findings(venue=hit), DAY)
    assert plan.changes == [] and "set the venue by hand" in plan.notes[0]


@pytest.mark.parametrize(
    ("venue", "year", "expected"),
    [
        ("CVPR", 2025, "CVPR'25"),
        ("NeurIPS", 2024, "NeurIPS'24"),
        ("ECCV (12)", 2024, "ECCV'24"),
        ("ACL (Findings)", 2024, "ACL'24 Findings"),
        ("CVPR Workshops", 2024, "CVPR'24 Workshop"),
        ("ACM Multimedia", 2024, "MM'24"),
        ("USENIX Security Symposium", 2025, "USENIX Security'25"),
        ("IEEE Trans. Inf. Forensics Secur.", 2025, None),
    ],
)
def test_dblp_venues_are_spelled_the_kbs_way(venue: str, year: int, expected: str | None) -> None:
    assert dblp_to_venue(venue, year) == expected
