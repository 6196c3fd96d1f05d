"""Read the checkout into a :class:`KnowledgeBase`, collecting every problem as a diagnostic."""

from __future__ import annotations

import difflib
import gc
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from lvlmkb.errors import Diagnostic, relpath
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.parsecache import ParseCache
from lvlmkb.kb.plugin_scan import declared_plugins
from lvlmkb.kb.schema import ExclusionsFile, ModelRegistryFile, Paper, TaxonomyFile
from lvlmkb.kb.schema.common import ARXIV_PATTERN, ATLAS_PATTERN, DATE_PATTERN, MODEL_ID_PATTERN, SLUG_PATTERN
from lvlmkb.kb.yamlio import YamlDocument, read_yaml
from lvlmkb.project import Project

PAPER_SUFFIX = ".yaml"
EXCLUSIONS_NAME = "excluded.yaml"
PAPERS_DIR_EXTRAS = frozenset({"paper.schema.json", "excluded.schema.json", EXCLUSIONS_NAME})
TAXONOMY_DIR_EXTRAS = frozenset({"taxonomy.schema.json", "models.schema.json"})
M = TypeVar("M", bound=BaseModel)
LINK_HINT = "commit the file itself (lvlmkb reads no knowledge-base data through links)"
PATTERN_NAMES = {
    SLUG_PATTERN: "is not a slug (lowercase letters and digits, single hyphens between)",
    MODEL_ID_PATTERN: "is not a model id (lowercase letters, digits, '-' and '.')",
    ARXIV_PATTERN: "is not an arXiv id without version (e.g. 2311.05608)",
    DATE_PATTERN: "is not a date YYYY-MM or YYYY-MM-DD",
    ATLAS_PATTERN: "is not a MITRE ATLAS id (e.g. AML.T0054)",
}


def load_kb(project: Project, cache: ParseCache | None = None) -> tuple[KnowledgeBase, list[Diagnostic]]:
    """Load taxonomy, models and papers; return the KB and the schema-level diagnostics.

    ``cache`` spares parsing the files whose bytes it has seen (the compiled index passes one).
    """
    kb = KnowledgeBase(project)
    diagnostics: list[Diagnostic] = []
    with _no_gc():
        diagnostics += _load_taxonomy(kb, cache)
        diagnostics += _load_models(kb, cache)
        diagnostics += _load_papers(kb, cache)
        diagnostics += _load_exclusions(kb, cache)
    kb.reproductions = {plugin.id for plugin in declared_plugins(project.reproductions_dir)}
    return kb, diagnostics


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small objects are created.

    Loading builds only acyclic data; without this, collections triggered by the allocations
    re-scan everything loaded so far, which makes a 10,000-paper load several times slower.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect(0)


def parse_model(doc: YamlDocument, model: type[M]) -> tuple[M | None, list[Diagnostic]]:
    """Validate ``doc.data`` against ``model``; map each pydantic error to a located diagnostic."""
    if not isinstance(doc.data, dict):
        shape = type(doc.data).__name__
        return None, [Diagnostic(doc.display, 1, "", f"top level must be a mapping, found {shape}")]
    try:
        return model.model_validate(doc.data), []
    except ValidationError as err:
        errors = err.errors(include_url=False)
        found = [_error_diagnostic(doc, model, e) for e in errors]
    unknown = [tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
    if unknown and len(unknown) == len(errors):
        # Only unknown keys: the rest of the file is sound, so it still joins the KB and its
        # cross-reference problems are reported in the same run (the unknown keys stay errors).
        try:
            return model.model_validate(_without(doc.data, unknown)), found
        except ValidationError:
            return None, found
    return None, found


def _without(data: Any, paths: list[tuple[Any, ...]]) -> Any:
    """A copy of ``data`` with the keys at ``paths`` removed (the input is left as it is)."""
    if isinstance(data, dict):
        here = {p[0] for p in paths if len(p) == 1}
        return {
            k: _without(v, [p[1:] for p in paths if len(p) > 1 and p[0] == k]) for k, v in data.items() if k not in here
        }
    if isinstance(data, list):
        return [_without(v, [p[1:] for p in paths if len(p) > 1 and p[0] == i]) for i, v in enumerate(data)]
    return data


def _error_diagnostic(doc: YamlDocument, model: type[BaseModel], error: Any) -> Diagnostic:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        message = _unknown_key_message(model, loc)
    elif error["type"] == "missing":
        message = "required field is missing"
    elif error["type"] == "string_pattern_mismatch":
        message = _pattern_message(error)
    return doc.diagnostic(loc, message)


def _pattern_message(error: Any) -> str:
    pattern = error.get("ctx", {}).get("pattern", "")
    described = PATTERN_NAMES.get(pattern, f"does not match {pattern}")
    return f"{error.get('input')!r} {described}"


def _unknown_key_message(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    allowed = _fields_at(model, loc[:-1])
    message = "unknown key"
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    if close:
        return f"{message} (did you mean '{close[0]}'?)"
    return f"{message} (allowed: {', '.join(allowed)})" if allowed else message


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field_info = getattr(current, "model_fields", {}).get(part)
        if field_info is None:
            return []
        current = _inner_model(field_info.annotation)
    return list(getattr(current, "model_fields", {}))


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _load_file(
    path: Path, root: Path, model: type[M], out: list[Diagnostic], cache: ParseCache | None
) -> tuple[YamlDocument, M] | None:
    """Read and validate one file; append its problems to ``out``; None when it did not validate."""
    if path.is_symlink():
        out.append(Diagnostic(relpath(path, root), 0, "", f"is a symbolic link; {LINK_HINT}"))
        return None
    doc, problems = read_yaml(path, relpath(path, root), cache)
    out += problems
    if doc is None:
        return None
    parsed, problems = parse_model(doc, model)
    out += problems
    return None if parsed is None else (doc, parsed)


def _declared_id(path: Path) -> str | None:
    """The ``id:`` a paper file declares, read without parsing (for a file that did not load)."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return None
    match = re.search(r"^id:\s*['\"]?([a-z0-9-]+)['\"]?\s*$", head, re.MULTILINE)
    return match.group(1) if match else None


def _load_taxonomy(kb: KnowledgeBase, cache: ParseCache | None) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    root = kb.project.root
    for path in _data_files(kb.project.taxonomy_dir, TAXONOMY_DIR_EXTRAS, root, diagnostics):
        loaded = _load_file(path, root, TaxonomyFile, diagnostics, cache)
        if loaded is None:
            kb.unloaded_parts.add("taxonomy")
            continue
        doc, parsed = loaded
        for index, node in enumerate(parsed.nodes):
            if node.id in kb.taxonomy.nodes:
                diagnostics.append(doc.diagnostic(("nodes", index, "id"), f"duplicate node id '{node.id}'"))
                continue
            kb.taxonomy.nodes[node.id] = node
            kb.node_docs[node.id] = (doc, index)
        for index, facet in enumerate(parsed.facets):
            if facet.id in kb.taxonomy.facets:
                diagnostics.append(doc.diagnostic(("facets", index, "id"), f"duplicate facet '{facet.id}'"))
                continue
            kb.taxonomy.facets[facet.id] = facet
        if parsed.scope is not None:
            if kb.taxonomy.scope is not None:
                diagnostics.append(doc.diagnostic(("scope",), "the scope is declared in another taxonomy file too"))
                continue
            kb.taxonomy.scope = parsed.scope
    return diagnostics


def _load_models(kb: KnowledgeBase, cache: ParseCache | None) -> list[Diagnostic]:
    path = kb.project.models_file
    diagnostics: list[Diagnostic] = []
    if not path.exists():
        return diagnostics
    loaded = _load_file(path, kb.project.root, ModelRegistryFile, diagnostics, cache)
    if loaded is None:
        kb.unloaded_parts.add("models")
        return diagnostics
    doc, parsed = loaded
    for index, entry in enumerate(parsed.models):
        if entry.id in kb.models:
            diagnostics.append(doc.diagnostic(("models", index, "id"), f"duplicate model id '{entry.id}'"))
        kb.models.setdefault(entry.id, entry)
    return diagnostics


def _load_papers(kb: KnowledgeBase, cache: ParseCache | None) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    root = kb.project.root
    for path in _data_files(kb.project.papers_dir, PAPERS_DIR_EXTRAS, root, diagnostics):
        loaded = _load_file(path, root, Paper, diagnostics, cache)
        if loaded is None:
            kb.unloaded_papers |= {path.stem, _declared_id(path) or path.stem}
            continue
        doc, paper = loaded
        if paper.id != path.stem:
            diagnostics.append(doc.diagnostic(("id",), _id_mismatch(paper.id, path)))
            kb.unloaded_papers.add(path.stem)
            continue
        kb.papers[paper.id] = paper
        kb.paper_docs[paper.id] = doc
    return diagnostics


def _id_mismatch(paper_id: str, path: Path) -> str:
    """The message for a file whose ``id`` is not its name, never suggesting a step that replaces a file."""
    if (path.parent / f"{paper_id}.yaml").exists():
        return (
            f"'{paper_id}' does not match the file name, and papers/{paper_id}.yaml exists (a copy?); "
            f"give this paper its own id and name the file after it"
        )
    return f"'{paper_id}' does not match the file name; rename the file to {paper_id}.yaml"


def _load_exclusions(kb: KnowledgeBase, cache: ParseCache | None) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    path = kb.project.exclusions_file
    if not path.is_file():
        return diagnostics
    loaded = _load_file(path, kb.project.root, ExclusionsFile, diagnostics, cache)
    if loaded is not None:
        kb.excluded_doc, parsed = loaded
        kb.excluded = list(parsed.excluded)
    return diagnostics


def _data_files(folder: Path, extras: frozenset[str], root: Path, out: list[Diagnostic]) -> list[Path]:
    if not folder.is_dir():
        out.append(Diagnostic(relpath(folder, root), 0, "", "folder is missing"))
        return []
    if not folder.resolve().is_relative_to(root.resolve()):
        out.append(Diagnostic(relpath(folder, root), 0, "", f"links outside the checkout; {LINK_HINT}"))
        return []
    found: list[Path] = []
    for name in sorted(os.listdir(folder)):
        if name.startswith(".") or name in extras:
            continue
        path = folder / name
        if name.endswith(PAPER_SUFFIX):
            found.append(path)
        else:
            stem = name.rsplit(".", 1)[0]
            hint = f"; rename it to {stem}.yaml" if name.endswith(".yml") else ""
            out.append(Diagnostic(relpath(path, root), 0, "", f"unexpected file here (expected *.yaml){hint}"))
    return found
