"""One broken file reports its cause once; what follows from it is suppressed, and nothing else is hidden."""

from __future__ import annotations

from pathlib import Path

import yaml

from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from tests.conftest import VALID_PAPER, PaperWriter


def _referrer(index: int) -> str:
    data = yaml.safe_load(VALID_PAPER)
    data.update(id=f"ref2024p{index}", title=f"Referrer {index}", arxiv=f"2403.{20000 + index}")
    data["relations"] = {"compared_with": ["doe2024example"]}
    for source in data["sources"].values():
        source["ref"] = source["ref"].replace("2403.01234", f"2403.{20000 + index}")
    return yaml.safe_dump(data, sort_keys=False)


def _rendered(root: Path) -> list[str]:
    return [d.render() for d in validate(Project(root)).diagnostics]


def test_a_syntax_error_is_not_repeated_by_every_paper_that_links_to_it(
    kb_root: Path, write_paper: PaperWriter
) -> None:
    for index in range(14):
        write_paper(f"ref2024p{index}", _referrer(index))
    write_paper("doe2024example", VALID_PAPER.replace("title: An Example", "title: 'An Example"))
    found = _rendered(kb_root)
    assert len(found) == 1, found
    assert found[0].startswith("papers/doe2024example.yaml:3: YAML syntax error: a quoted value opened here")


def test_an_unterminated_quote_is_reported_where_it_opens(kb_root: Path, write_paper: PaperWriter) -> None:
    text = VALID_PAPER.replace("summary: Renders", 'summary: "Renders') + "notes: more\n" * 40
    write_paper("doe2024example", text)
    (found,) = _rendered(kb_root)
    assert found.startswith(f"papers/doe2024example.yaml:{_line_of(text, 'summary:')}: ")
    assert "never closed" in found


def test_an_open_flow_list_names_the_line_that_opens_it(kb_root: Path, write_paper: PaperWriter) -> None:
    text = VALID_PAPER.replace("tags: [typography]", "tags: [typography")
    write_paper("doe2024example", text)
    (found,) = _rendered(kb_root)
    assert f"that opens on line {_line_of(text, 'tags:')}" in found


def _line_of(text: str, prefix: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(prefix))


def test_a_broken_model_registry_is_one_cause_not_hundreds(kb_root: Path) -> None:
    (kb_root / "reproductions" / "models.yaml").write_text("models:\n  - id: [unclosed\n", encoding="utf-8")
    found = _rendered(kb_root)
    assert len(found) == 2, found
    assert all(line.startswith("reproductions/models.yaml:") for line in found)
    assert any("not checked, because this file did not load" in line for line in found)
    assert not any("unknown model" in line for line in found)


def test_an_unknown_key_does_not_hide_the_files_other_errors(kb_root: Path, write_paper: PaperWriter) -> None:
    text = VALID_PAPER.replace("category: black-box-typography", "category: black-box-typografy") + "colour: red\n"
    text = text.replace("targets: [llava-1.5-7b]", "targets: [llava-9]")
    write_paper("doe2024example", text)
    found = _rendered(kb_root)
    assert any("colour: unknown key" in line for line in found), found
    assert any("category: 'black-box-typografy' is not a taxonomy leaf" in line for line in found), found
    assert any("targets.0: unknown model 'llava-9'" in line for line in found), found


def test_a_copied_file_is_never_told_to_replace_the_original(kb_root: Path, write_paper: PaperWriter) -> None:
    write_paper("doe2024example-copy", VALID_PAPER)
    found = [line for line in _rendered(kb_root) if "doe2024example-copy" in line]
    assert len(found) == 1 and "rename" not in found[0]
    assert "papers/doe2024example.yaml exists (a copy?)" in found[0]


def test_a_mismatched_id_without_a_twin_is_told_to_rename(kb_root: Path, write_paper: PaperWriter) -> None:
    write_paper("doe2024other", VALID_PAPER.replace("id: doe2024example", "id: doe2024renamed"))
    found = [line for line in _rendered(kb_root) if "doe2024other" in line]
    assert found and "rename the file to doe2024renamed.yaml" in found[0]
