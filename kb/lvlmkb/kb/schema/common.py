"""Constrained string types shared by the schema models."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MODEL_ID_PATTERN = r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$"
ARXIV_PATTERN = r"^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})$"
ATLAS_PATTERN = r"^AML\.(?:T\d{4}(?:\.\d{3})?|TA\d{4}|M\d{4}|CS\d{4})$"
DATE_PATTERN = r"^\d{4}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?$"

# Bidirectional overrides and isolates, zero-width and byte-order marks: they reorder or hide text
# (the "Trojan Source" characters), and have no place in a title, a summary or a link.
INVISIBLE = "\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff"
_CONTROL = re.compile(rf"[\x00-\x1f\x7f-\x9f\s{INVISIBLE}]")
_TEXT_CONTROL = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{INVISIBLE}]")


class StrictModel(BaseModel):
    """Base for every data model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"only http(s) links are allowed, got scheme {parts.scheme!r}")
    if not parts.netloc or _CONTROL.search(value):
        raise ValueError("not a valid http(s) URL")
    return value


def check_text(value: str) -> str:
    """Refuse invisible and control characters in text."""
    found = _TEXT_CONTROL.search(value)
    if found:
        raise ValueError(
            f"contains the invisible or control character U+{ord(found.group()):04X} at position {found.start()}"
        )
    return value


def _date_to_text(value: object) -> object:
    """YAML reads an unquoted 2024-03-05 as a date; keep it as the text the author wrote."""
    return value.isoformat() if isinstance(value, dt.date) else value


Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=80)]
ModelId = Annotated[str, StringConstraints(pattern=MODEL_ID_PATTERN, max_length=80)]
ArxivId = Annotated[str, StringConstraints(pattern=ARXIV_PATTERN)]
AtlasId = Annotated[str, StringConstraints(pattern=ATLAS_PATTERN)]
DateStr = Annotated[str, BeforeValidator(_date_to_text), StringConstraints(pattern=DATE_PATTERN)]
HttpUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_check_http_url)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(check_text)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(check_text)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=120), AfterValidator(check_text)]
