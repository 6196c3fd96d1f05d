"""Pydantic models of everything stored in the knowledge base."""

from lvlmkb.kb.schema.exclusions import Exclusion, ExclusionsFile
from lvlmkb.kb.schema.models import ModelEntry, ModelRegistryFile
from lvlmkb.kb.schema.paper import Paper, Relations, ReportedResult, Urls
from lvlmkb.kb.schema.provenance import REQUIRED_SOURCED, Citations, FieldSource, SourcedField, SourceKind
from lvlmkb.kb.schema.taxonomy import Facet, FacetValue, Kind, Phase, TaxonomyFile, TaxonomyNode

__all__ = [
    "REQUIRED_SOURCED",
    "Citations",
    "Exclusion",
    "ExclusionsFile",
    "Facet",
    "FacetValue",
    "FieldSource",
    "Kind",
    "ModelEntry",
    "ModelRegistryFile",
    "Paper",
    "Phase",
    "Relations",
    "ReportedResult",
    "SourceKind",
    "SourcedField",
    "TaxonomyFile",
    "TaxonomyNode",
    "Urls",
]
