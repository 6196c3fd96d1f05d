"""Where each bibliographic field of a paper was confirmed, and its citation count."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from lvlmkb.kb.schema.common import DateStr, ShortText, StrictModel, check_text

SourceKind = Literal["arxiv", "proceedings", "publisher", "openreview", "dblp", "official-repo", "author-page", "list"]
SourcedField = Literal[
    "title", "authors", "date", "year", "venue", "arxiv", "affiliations", "urls.code", "urls.project"
]
CitationSource = Literal["semantic-scholar", "openalex"]

Ref = Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(check_text)]
"""A URL (proceedings pages can be long) or an id with its version."""

REQUIRED_SOURCED: tuple[SourcedField, ...] = ("title", "authors", "date", "venue", "urls.code")
"""Fields that need a source (or an ``unverified`` entry) whenever the paper sets them."""


class FieldSource(StrictModel):
    """One confirmation of a field: what kind of source, which one exactly, and when."""

    kind: SourceKind
    ref: Ref = Field(description="A URL, or an id with its version, e.g. '2311.05608v3'.")
    checked: DateStr = Field(description="The day the field was compared with the source, YYYY-MM-DD.")
    via: ShortText | None = Field(
        default=None,
        description="Where the source was read when not at its own address (a mirror, a feed digest, a repo file).",
    )


class Citations(StrictModel):
    """A citation count as a bibliographic service reported it on a given day."""

    count: int = Field(ge=0)
    source: CitationSource
    checked: DateStr
