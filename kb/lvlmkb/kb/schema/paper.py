"""The paper record: one ``papers/<id>.yaml`` file."""

from __future__ import annotations

from pydantic import Field

from lvlmkb.kb.schema.common import (
    ArxivId,
    DateStr,
    HttpUrl,
    Label,
    ModelId,
    ShortText,
    Slug,
    StrictModel,
    Text,
)
from lvlmkb.kb.schema.provenance import Citations, FieldSource, SourcedField
from lvlmkb.kb.schema.taxonomy import Kind, Phase


class Urls(StrictModel):
    """Links of a paper; only http(s) is accepted."""

    paper: HttpUrl | None = None
    code: HttpUrl | None = None
    project: HttpUrl | None = None


class Relations(StrictModel):
    """Typed edges to other papers, by id."""

    evaluated_on: list[Slug] = Field(default_factory=list, description="Benchmarks (paper ids) the paper reports on.")
    compared_with: list[Slug] = Field(default_factory=list, description="Methods it compares against.")
    defends_against: list[Slug] = Field(default_factory=list, description="Attacks a defense is evaluated against.")
    extends: list[Slug] = Field(default_factory=list, description="Earlier work it builds directly on.")


class ReportedResult(StrictModel):
    """A number as the paper published it, with where it was published."""

    model: ModelId
    benchmark: Label
    setting: Label | None = None
    attack: Label | None = None
    defense: Label | None = None
    metric: Label
    value: float
    n: int | None = Field(default=None, ge=1, description="Number of samples behind the value.")
    source: Label = Field(description="Table or figure, e.g. 'Table 2'.")
    notes: ShortText | None = None


class Paper(StrictModel):
    """One LVLM-safety paper, classified in the taxonomy."""

    id: Slug
    title: ShortText
    authors: list[Label] = Field(
        default_factory=list,
        description="As the paper lists them; empty when not yet entered (`lvlmkb gaps` lists these).",
    )
    affiliations: list[ShortText] = Field(default_factory=list)
    year: int = Field(description="Year of the venue (or of the preprint when unpublished).")
    venue: Label | None = None
    date: DateStr | None = Field(default=None, description="First public version, YYYY-MM[-DD].")
    arxiv: ArxivId | None = None
    arxiv_version: int | None = Field(
        default=None, ge=1, le=99, description="The arXiv version whose title and authors the entry follows."
    )
    urls: Urls = Field(default_factory=Urls)
    kind: Kind
    phase: Phase | None = None
    category: Slug = Field(description="A leaf of the taxonomy consistent with kind and phase.")
    facets: dict[Slug, list[Slug]] = Field(default_factory=dict)
    summary: Text
    tags: list[Slug] = Field(default_factory=list)
    targets: list[ModelId] = Field(default_factory=list)
    relations: Relations = Field(default_factory=Relations)
    reproductions: list[Slug] = Field(
        default_factory=list,
        description="Ids of this paper's reproductions (`lvlmkb methods`), every module that names the paper.",
    )
    reported_results: list[ReportedResult] = Field(default_factory=list)
    notes: Text | None = None
    sources: dict[SourcedField, FieldSource] = Field(
        default_factory=dict, description="Where each bibliographic field was confirmed (field -> source)."
    )
    unverified: list[SourcedField] = Field(
        default_factory=list, description="Fields that could not be confirmed at any source."
    )
    citations: Citations | None = None
