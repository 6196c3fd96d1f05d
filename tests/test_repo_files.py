"""Repository metadata: CITATION.cff, the GitHub issue form and the CI workflow."""

from __future__ import annotations

import tomllib
from typing import Any, get_args

import yaml

import lvlmkb
from lvlmkb.kb.schema.taxonomy import Kind
from tests.conftest import REPO


def _yaml(relative: str) -> Any:
    return yaml.safe_load((REPO / relative).read_text(encoding="utf-8"))


def test_citation_cff() -> None:
    cff = _yaml("CITATION.cff")
    for key in ("cff-version", "message", "title", "authors", "type", "version", "license"):
        assert cff.get(key), key
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "software"
    assert cff["version"] == lvlmkb.__version__
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert cff["license"] == pyproject["project"]["license"]
    assert cff["authors"] == [{"name": "The lvlmkb contributors"}]


def test_citation_references_the_survey() -> None:
    (survey,) = _yaml("CITATION.cff")["references"]
    paper = _yaml("papers/ye2025survey.yaml")
    assert survey["title"] == paper["title"]
    assert [f"{a['given-names']} {a['family-names']}" for a in survey["authors"]] == paper["authors"]
    assert survey["url"] == f"https://arxiv.org/abs/{paper['arxiv']}"
    assert survey["year"] == paper["year"]


def _kinds_in_taxonomy() -> list[str]:
    kinds = []
    for path in sorted((REPO / "taxonomy").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        kinds += [node["kind"] for node in data.get("nodes", []) if node.get("kind")]
    return kinds


def test_issue_form_kinds_match_taxonomy() -> None:
    form = _yaml(".github/ISSUE_TEMPLATE/add-paper.yml")
    assert form["title"] == "[paper] " and form["labels"] == ["paper"]
    fields = {item["id"]: item for item in form["body"] if "id" in item}
    assert set(fields) == {"arxiv", "kind", "category", "code", "notes"}
    assert fields["arxiv"]["validations"]["required"] is True
    options = fields["kind"]["attributes"]["options"]
    assert sorted(options) == sorted(_kinds_in_taxonomy()) == sorted(get_args(Kind))
    assert [fields[i]["type"] for i in ("arxiv", "kind", "category", "code", "notes")] == [
        "input",
        "dropdown",
        "input",
        "input",
        "textarea",
    ]


def test_workflow_runs_ci_script() -> None:
    workflow = _yaml(".github/workflows/validate.yml")
    triggers = workflow.get("on", workflow.get(True))  # PyYAML reads the bare key `on` as a boolean
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    setup = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "3.11"
    assert any(str(s.get("uses", "")).startswith("actions/checkout") for s in steps)
    assert steps[-1]["run"] == "bash .ci/run"
    assert (REPO / ".ci" / "run").is_file()
