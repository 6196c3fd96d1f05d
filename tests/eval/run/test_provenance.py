"""Per-field provenance: sources and unverified agree with the fields, missing ones warn (or fail for add-paper)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lvlmkb.kb.checks import check_paper
from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from lvlmkb.publish.site.kb_pages import taxonomy_index
from tests.conftest import VALID_PAPER, PaperWriter

TODAY_SOURCE = {"kind": "arxiv", "ref": "2403.01234v2", "checked": "2026-01-05"}


def _paper(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(VALID_PAPER)
    data.update(changes)
    return data


def _diagnostics(write_paper: PaperWriter, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    path = write_paper("doe2024example", yaml.safe_dump(data, sort_keys=False))
    report = validate(Project(path.parent.parent))
    return [(d.field, d.message, d.severity) for d in report.diagnostics if d.path == "papers/doe2024example.yaml"]


def test_the_example_paper_is_fully_sourced(write_paper: PaperWriter) -> None:
    assert _diagnostics(write_paper, _paper()) == []


def test_a_required_field_without_source_is_a_warning(write_paper: PaperWriter) -> None:
    data = _paper()
    del data["sources"]["venue"]
    found = _diagnostics(write_paper, data)
    assert found == [("sources", "'venue' has no source; add sources.venue or list it in unverified", "warning")]


def test_listing_the_field_as_unverified_satisfies_the_check(write_paper: PaperWriter) -> None:
    data = _paper(unverified=["venue"])
    del data["sources"]["venue"]
    assert _diagnostics(write_paper, data) == []


def test_an_unset_field_needs_no_source(write_paper: PaperWriter) -> None:
    data = _paper(venue=None)
    del data["sources"]["venue"]
    assert _diagnostics(write_paper, data) == []


@pytest.mark.parametrize("field", ["authors", "date"])
def test_an_empty_author_list_or_date_is_listed_as_unverified(write_paper: PaperWriter, field: str) -> None:
    data = _paper(**{field: [] if field == "authors" else None})
    del data["sources"][field]
    message = f"'{field}' is not set; fill it from a source, or list it in unverified if none was found"
    assert _diagnostics(write_paper, data) == [(field, message, "warning")]
    assert _diagnostics(write_paper, {**data, "unverified": [field]}) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"unverified": ["title"]}, "unverified.0", "'title' is both sourced and listed as unverified"),
        ({"venue": None}, "sources.venue", "a source for 'venue', which the entry does not set"),
        ({"arxiv_version": 3}, "sources.title.ref", "title follows v2, but arxiv_version says v3"),
    ],
)
def test_inconsistent_provenance_is_an_error(
    write_paper: PaperWriter, changes: dict[str, Any], field: str, message: str
) -> None:
    found = _diagnostics(write_paper, _paper(**changes))
    assert (field, message, "error") in found


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("2403.01234", "an arXiv source names its version, e.g. '2403.01234v1'"),
        ("2403.09999v1", "arXiv 2403.09999 is not the paper's arXiv id 2403.01234"),
    ],
)
def test_arxiv_refs_name_this_paper_and_a_version(write_paper: PaperWriter, ref: str, message: str) -> None:
    data = _paper()
    data["sources"]["date"] = {**TODAY_SOURCE, "ref": ref}
    assert ("sources.date.ref", message, "error") in _diagnostics(write_paper, data)


def test_a_check_date_in_the_future_is_refused(write_paper: PaperWriter) -> None:
    data = _paper()
    data["sources"]["date"] = {**TODAY_SOURCE, "ref": "2403.01234v1", "checked": "2999-01-01"}
    found = _diagnostics(write_paper, data)
    assert ("sources.date.checked", "'2999-01-01' is not a past day (YYYY-MM-DD)", "error") in found


def test_an_unknown_source_kind_or_field_is_a_schema_error(write_paper: PaperWriter) -> None:
    data = _paper()
    data["sources"]["title"] = {**TODAY_SOURCE, "kind": "memory"}
    data["sources"]["abstract"] = TODAY_SOURCE
    fields = {f for f, _, _ in _diagnostics(write_paper, data)}
    assert {"sources.title.kind", "sources.abstract.[key]"} <= fields


def test_strict_sources_turn_missing_sources_into_errors(write_paper: PaperWriter) -> None:
    data = _paper()
    del data["sources"]
    path = write_paper("doe2024example", yaml.safe_dump(data, sort_keys=False))
    kb = validate(Project(path.parent.parent)).kb
    paper = kb.papers["doe2024example"]
    lenient = {d.severity for d in check_paper(kb, paper)}
    strict = [d for d in check_paper(kb, paper, strict_sources=True) if d.field == "sources"]
    assert lenient == {"warning"}
    assert len(strict) == 5 and {d.severity for d in strict} == {"error"}


@pytest.mark.parametrize(
    ("venue", "year", "ok"),
    [("CVPR'25", 2025, True), ("CVPR'25", 2024, False), ("arXiv'24", 2024, True), ("NeurIPS'24 Workshop", 2025, False)],
)
def test_venue_and_year_agree(write_paper: PaperWriter, venue: str, year: int, ok: bool) -> None:
    found = _diagnostics(write_paper, _paper(venue=venue, year=year, date="2024-03-05"))
    mismatch = [m for f, m, _ in found if f == "year"]
    assert (mismatch == []) is ok, mismatch


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://github.com/ThuCCSLab/FigStep", True),
        ("https://github.com/ThuCCSLab/FigStep/tree/main/data", True),
        ("https://huggingface.co/datasets/owner/name", True),
        ("https://github.com/Amadeuszhao/", False),
        ("https://github.com/orgs/thu-ml/repositories", False),
        ("https://huggingface.co/spaces/owner", False),
        ("https://example.org/code", True),
    ],
)
def test_a_code_link_names_a_repository(write_paper: PaperWriter, url: str, ok: bool) -> None:
    data = _paper()
    data["urls"]["code"] = url
    problems = [m for f, m, _ in _diagnostics(write_paper, data) if f == "urls.code"]
    assert (problems == []) is ok, problems


def test_the_scope_is_declared_once_and_shown_on_the_taxonomy_page(kb_root: Path) -> None:
    kb = validate(Project(kb_root)).kb
    assert kb.taxonomy.scope is not None
    ids = {rule.id for rule in kb.taxonomy.scope.include} | {rule.id for rule in kb.taxonomy.scope.exclude}
    assert {"lvlm-agent", "vla-policy", "multimodal-rag", "text-only", "audio-only", "text-to-image"} <= ids
    page = taxonomy_index(kb)
    assert "## Scope" in page and "Vision-language-action policies" in page
    twin = kb_root / "taxonomy" / "scope-copy.yaml"
    twin.write_text((kb_root / "taxonomy" / "scope.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    problems = [d.message for d in validate(Project(kb_root)).diagnostics]
    assert "the scope is declared in another taxonomy file too" in problems


def test_an_exclusion_names_a_scope_rule_that_exists(kb_root: Path) -> None:
    excluded = kb_root / "papers" / "excluded.yaml"
    entry = {"title": "A Speech Jailbreak", "arxiv": "2501.00001", "reason": "Speech models only; no image input."}
    excluded.write_text(yaml.safe_dump({"excluded": [{**entry, "rule": "audio-only"}]}), encoding="utf-8")
    assert validate(Project(kb_root)).ok
    excluded.write_text(yaml.safe_dump({"excluded": [{**entry, "rule": "audio-onyl"}]}), encoding="utf-8")
    problems = [d.message for d in validate(Project(kb_root)).diagnostics]
    assert "'audio-onyl' is not an exclusion of taxonomy/scope.yaml (did you mean 'audio-only'?)" in problems
