"""Suites: several runs whose numbers are compared, cell by cell, with a paper's table (the data, not the running).

A suite is a YAML file in the checkout's ``reproductions/suites/`` (``survey-janus-pro.yaml`` re-runs the
survey's Janus-Pro-7B evaluation); :func:`lvlmkb.eval.registry.suites` lists them beside the other things the
engine can run, and :mod:`lvlmkb.eval.run.suite` runs one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lvlmkb.errors import UsageError
from lvlmkb.kb.load import parse_model
from lvlmkb.kb.schema.common import SLUG_PATTERN
from lvlmkb.kb.yamlio import read_yaml

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]


class SuitePart(BaseModel):
    """One run of a suite: a method on a dataset, reported under the paper's benchmark and setting names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    benchmark: str = Field(min_length=1, description="The benchmark as the paper's table names it.")
    setting: str = Field(min_length=1, description="The setting as the paper's table names it.")
    method: Slug = Field(description="The attack or benchmark id (see `lvlmkb methods`).")
    dataset: Slug | None = Field(None, description="The dataset (default: the method's).")
    config: dict[str, Any] = Field(default_factory=dict, description="Config values of the method (as --set).")
    judge: Slug = Field(description="The part's own judge.")
    fallback_judge: Slug | None = Field(
        None, description="The judge used when `judge` needs a model and no --judge-model is given."
    )
    per_category: bool = Field(False, description="Compare per category (the paper reports per scenario).")


class Suite(BaseModel):
    """A named set of parts and the paper whose reported numbers they are compared with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug = Field(description="The suite's id: the file's stem.")
    title: str = Field(min_length=1)
    paper: Slug = Field(description="The KB paper whose reported numbers the parts are compared with.")
    description: str = Field(min_length=1)
    parts: tuple[SuitePart, ...] = Field(min_length=1)


def suites_dir(reproductions_dir: Path) -> Path:
    """Where a checkout keeps its suites."""
    return reproductions_dir / "suites"


def load_suites(reproductions_dir: Path) -> dict[str, Suite]:
    """Every suite of the checkout, by id.

    Raises:
        UsageError: listing every problem of every file (``path:line: field: message``).
    """
    folder = suites_dir(reproductions_dir)
    suites: dict[str, Suite] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        display = f"suites/{path.name}"
        doc, found = read_yaml(path, display)
        parsed = None
        if doc is not None:
            parsed, more = parse_model(doc, Suite)
            found += more
            if parsed is not None and parsed.id != path.stem:
                found.append(doc.diagnostic(("id",), f"'{parsed.id}' must equal the file's stem '{path.stem}'"))
        problems += [d.render() for d in found]
        if parsed is not None and not found:
            suites[parsed.id] = parsed
    if problems:
        raise UsageError("bad suite file(s): " + "; ".join(problems), "fix the suite files in reproductions/suites/")
    return suites
