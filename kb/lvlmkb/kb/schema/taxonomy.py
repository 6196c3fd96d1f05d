"""Models of the taxonomy files: lifecycle nodes and orthogonal facet vocabularies."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lvlmkb.kb.schema.common import AtlasId, Label, ShortText, Slug, StrictModel

Kind = Literal["attack", "defense", "evaluation"]
Phase = Literal["inference", "training"]


class TaxonomyNode(StrictModel):
    """One node of the lifecycle tree (kind → phase → category → subcategory)."""

    id: Slug
    label: Label
    parent: Slug | None = None
    kind: Kind | None = Field(default=None, description="Set on the three root nodes only.")
    phase: Phase | None = Field(default=None, description="Set on the node that opens a phase.")
    definition: ShortText
    note: ShortText | None = Field(
        default=None, description="Where the node is a reconstruction or an lvlmkb addition."
    )
    atlas: list[AtlasId] = Field(default_factory=list, description="MITRE ATLAS technique ids.")


class FacetValue(StrictModel):
    """One allowed value of a facet."""

    id: Slug
    label: Label
    definition: ShortText
    atlas: list[AtlasId] = Field(default_factory=list)


class Facet(StrictModel):
    """A vocabulary orthogonal to the tree, such as attacker access or modality."""

    id: Slug
    label: Label
    definition: ShortText
    values: list[FacetValue] = Field(min_length=1)


class ScopeInclusion(StrictModel):
    """A kind of system or input whose safety papers belong in the KB."""

    id: Slug
    label: Label
    definition: ShortText


class ScopeExclusion(StrictModel):
    """A kind of work left out of the KB, and why."""

    id: Slug
    label: Label
    reason: ShortText


class Scope(StrictModel):
    """What the knowledge base covers: the test every candidate paper passes or fails."""

    include: list[ScopeInclusion] = Field(min_length=1)
    exclude: list[ScopeExclusion] = Field(default_factory=list)


class TaxonomyFile(StrictModel):
    """The content of one ``taxonomy/*.yaml`` file."""

    nodes: list[TaxonomyNode] = Field(default_factory=list)
    facets: list[Facet] = Field(default_factory=list)
    scope: Scope | None = Field(default=None, description="Declared in one file only (taxonomy/scope.yaml).")
