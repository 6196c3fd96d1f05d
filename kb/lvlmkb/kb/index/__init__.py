"""The compiled index: the knowledge base as one SQLite database, for fast queries and for SQL tools.

The YAML files stay the source of truth. ``build/index/kb.sqlite`` under the checkout holds every paper
with its printed forms (list row, ``show`` panel, JSON, BibTeX, CSV), its tags, facets and relations,
the taxonomy, the models, the diagnostics of the validation behind it, an FTS5 full-text table over
title, summary, authors and tags, and the stat and SHA-256 of every input file. :func:`open_index`
answers from it while the inputs are unchanged and rebuilds it (validating everything) when they are not.

Modules: :mod:`~lvlmkb.kb.index.inputs` (what the index depends on), :mod:`~lvlmkb.kb.index.store` (the file),
:mod:`~lvlmkb.kb.index.compile` (KB to tables), :mod:`~lvlmkb.kb.index.access` (fresh or rebuilt),
:mod:`~lvlmkb.kb.index.reader` and :mod:`~lvlmkb.kb.index.where` (queries), :mod:`~lvlmkb.kb.index.dump` (export).
"""

from __future__ import annotations

from lvlmkb.kb.index.access import open_index
from lvlmkb.kb.index.reader import Index
from lvlmkb.kb.index.store import index_path

__all__ = ["Index", "index_path", "open_index"]
