"""lvlmkb: the knowledge base, taxonomy and reproduction workbench for LVLM safety.

Public names are imported lazily so that ``import lvlmkb`` (and the CLI's ``--help``) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Diagnostic": "lvlmkb.errors",
    "LvlmkbError": "lvlmkb.errors",
    "KnowledgeBase": "lvlmkb.kb.knowledge",
    "Taxonomy": "lvlmkb.kb.knowledge",
    "Project": "lvlmkb.project",
    "find_root": "lvlmkb.project",
    "ValidationReport": "lvlmkb.kb.validate",
    "open_kb": "lvlmkb.kb.validate",
    "validate": "lvlmkb.kb.validate",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:
    from lvlmkb.errors import Diagnostic, LvlmkbError
    from lvlmkb.kb.knowledge import KnowledgeBase, Taxonomy
    from lvlmkb.kb.validate import ValidationReport, open_kb, validate
    from lvlmkb.project import Project, find_root


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lvlmkb' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
