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
    "KnowledgeBase": "lvlmkb.kb",
    "Taxonomy": "lvlmkb.kb",
    "Project": "lvlmkb.project",
    "find_root": "lvlmkb.project",
    "ValidationReport": "lvlmkb.validate",
    "open_kb": "lvlmkb.validate",
    "validate": "lvlmkb.validate",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:
    from lvlmkb.errors import Diagnostic, LvlmkbError
    from lvlmkb.kb import KnowledgeBase, Taxonomy
    from lvlmkb.project import Project, find_root
    from lvlmkb.validate import ValidationReport, open_kb, validate


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lvlmkb' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
