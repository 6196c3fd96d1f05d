"""In-place field edits: only the changed lines move, the rest stays byte for byte."""

from __future__ import annotations

import pytest

from lvlmkb.kb.refresh.yamledit import EditError, FieldEdit, apply_edits

TEXT = """\
# yaml-language-server: $schema=paper.schema.json
id: x2024paper
title: 'Old: Title'   # a trailing comment
authors:
- A One
year: 2024
# a comment that belongs to the next field
venue: arXiv'24
urls:
  paper: https://arxiv.org/abs/2401.00001
kind: attack
summary: S.

sources:
    title: {kind: arxiv, ref: 2401.00001v1, checked: '2026-01-05'}
notes: kept
"""


def test_a_top_level_value_is_replaced_and_nothing_else_moves() -> None:
    new = apply_edits(TEXT, [FieldEdit(("title",), "New Title")])
    assert new == TEXT.replace("title: 'Old: Title'   # a trailing comment\n", "title: New Title\n")


def test_a_list_grows_in_place() -> None:
    new = apply_edits(TEXT, [FieldEdit(("authors",), ["A One", "B Two"])])
    assert new == TEXT.replace("- A One\n", "- A One\n- B Two\n")


def test_children_keep_the_files_indentation_and_new_ones_go_last() -> None:
    source = {"kind": "dblp", "ref": "https://dblp.org/rec/x", "checked": "2026-03-01"}
    new = apply_edits(
        TEXT, [FieldEdit(("sources", "venue"), source), FieldEdit(("urls", "code"), "https://github.com/a/b")]
    )
    assert "    title: {kind: arxiv, ref: 2401.00001v1, checked: '2026-01-05'}\n    venue: {kind: dblp," in new
    assert "  paper: https://arxiv.org/abs/2401.00001\n  code: https://github.com/a/b\nkind: attack\n" in new
    assert "# a comment that belongs to the next field\nvenue: arXiv'24\n" in new and "\n\nsources:\n" in new


def test_a_new_field_goes_where_the_field_order_puts_it() -> None:
    new = apply_edits(
        TEXT,
        [
            FieldEdit(("arxiv_version",), 2),
            FieldEdit(("citations",), {"count": 1, "source": "openalex", "checked": "2026-03-01"}),
        ],
    )
    assert "venue: arXiv'24\narxiv_version: 2\nurls:\n" in new  # after venue, the last field before it present
    assert new.endswith("notes: kept\ncitations: {count: 1, source: openalex, checked: '2026-03-01'}\n")


def test_a_removed_field_takes_only_its_lines() -> None:
    assert apply_edits(TEXT, [FieldEdit(("notes",), None)]) == TEXT.replace("notes: kept\n", "")


def test_windows_line_endings_are_kept() -> None:
    crlf = TEXT.replace("\n", "\r\n")
    new = apply_edits(
        crlf,
        [
            FieldEdit(("year",), 2025),
            FieldEdit(("sources", "date"), {"kind": "arxiv", "ref": "2401.00001v1", "checked": "2026-03-01"}),
        ],
    )
    assert (
        new.replace("year: 2025", "year: 2024").replace(
            "    date: {kind: arxiv, ref: 2401.00001v1, checked: '2026-03-01'}\r\n", ""
        )
        == crlf
    )
    assert "\n" not in new.replace("\r\n", "")


@pytest.mark.parametrize(
    ("text", "edit", "message"),
    [
        (
            "id: x\nsources: {title: {kind: arxiv}}\n",
            FieldEdit(("sources", "date"), {"kind": "arxiv"}),
            "written inline",
        ),
        ("id: x\na: &r 1\nb: *r\n", FieldEdit(("a",), 2), "does not parse"),
        ("id: x\n", FieldEdit(("a", "b", "c"), 1), "only fields one level deep"),
    ],
)
def test_layouts_the_line_edit_cannot_handle_are_refused(text: str, edit: FieldEdit, message: str) -> None:
    with pytest.raises(EditError, match=message):
        apply_edits(text, [edit])
