"""Pydantic models of everything stored in the knowledge base."""

from lvlmkb.schema.exclusions import Exclusion, ExclusionsFile
from lvlmkb.schema.models import ModelEntry, ModelRegistryFile
from lvlmkb.schema.paper import Paper, Relations, ReportedResult, Urls
from lvlmkb.schema.taxonomy import Facet, FacetValue, Kind, Phase, TaxonomyFile, TaxonomyNode

__all__ = [
    "Exclusion",
    "ExclusionsFile",
    "Facet",
    "FacetValue",
    "Kind",
    "ModelEntry",
    "ModelRegistryFile",
    "Paper",
    "Phase",
    "Relations",
    "ReportedResult",
    "TaxonomyFile",
    "TaxonomyNode",
    "Urls",
]
