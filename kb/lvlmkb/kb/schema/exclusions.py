"""``papers/excluded.yaml``: papers of the source lists deliberately left out, each with its reason."""

from __future__ import annotations

from pydantic import Field

from lvlmkb.kb.schema.common import ArxivId, HttpUrl, Label, ShortText, Slug, StrictModel, Text


class Exclusion(StrictModel):
    """One left-out paper and why."""

    title: ShortText
    arxiv: ArxivId | None = None
    url: HttpUrl | None = Field(default=None, description="Where the paper is, when it has no arXiv id.")
    reason: Text = Field(description="Why it is out of scope, in one sentence.")
    rule: Slug | None = Field(default=None, description="The exclusion of taxonomy/scope.yaml it falls under.")
    listed_in: list[Label] = Field(default_factory=list, description="Source lists that name it.")


class ExclusionsFile(StrictModel):
    """The whole file."""

    excluded: list[Exclusion] = Field(default_factory=list)
