"""JSON Schema files for editors: written next to the data they describe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from lvlmkb.fsio import write_atomic
from lvlmkb.kb.schema import ExclusionsFile, ModelRegistryFile, Paper, TaxonomyFile
from lvlmkb.project import Project

SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "papers/paper.schema.json": Paper,
    "papers/excluded.schema.json": ExclusionsFile,
    "taxonomy/taxonomy.schema.json": TaxonomyFile,
    "reproductions/models.schema.json": ModelRegistryFile,
}


@dataclass(frozen=True)
class SchemaFile:
    """One generated schema and whether the file on disk already holds it."""

    path: Path
    text: str
    fresh: bool


def render_schema(model: type[BaseModel], relative: str) -> str:
    """Return the JSON Schema of ``model`` as stable, pretty JSON text."""
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = relative
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_files(project: Project) -> list[SchemaFile]:
    """Every schema file with its expected content and freshness."""
    files: list[SchemaFile] = []
    for relative, model in SCHEMA_FILES.items():
        path = project.root / relative
        text = render_schema(model, relative)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        files.append(SchemaFile(path, text, current == text))
    return files


def write_schemas(project: Project) -> list[Path]:
    """Write the stale schema files; return the paths written."""
    written: list[Path] = []
    for item in schema_files(project):
        if not item.fresh:
            write_atomic(item.path, item.text)
            written.append(item.path)
    return written
