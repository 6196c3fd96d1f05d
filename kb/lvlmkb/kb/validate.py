"""Validation entry point: schema problems plus cross-reference problems, all at once."""

from __future__ import annotations

from dataclasses import dataclass

from lvlmkb.errors import Diagnostic, ValidationFailedError
from lvlmkb.kb.checks import check_kb
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.load import load_kb
from lvlmkb.kb.parsecache import ParseCache
from lvlmkb.project import Project


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one checkout."""

    kb: KnowledgeBase
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        """True when no error was found."""
        return not any(d.severity == "error" for d in self.diagnostics)

    def summary(self) -> str:
        """One line: counts of papers, nodes and problems."""
        kb = self.kb
        counts = f"{len(kb.papers)} papers, {len(kb.taxonomy.nodes)} taxonomy nodes, {len(kb.models)} models"
        errors = sum(d.severity == "error" for d in self.diagnostics)
        warnings = len(self.diagnostics) - errors
        noted = f" ({warnings} warning(s))" if warnings else ""
        if self.ok:
            return f"ok: {counts}{noted}"
        return f"{errors} problem(s){noted} in {counts}"


def validate(project: Project, cache: ParseCache | None = None) -> ValidationReport:
    """Load and check the whole checkout; never raises for bad data (``cache``: see :func:`load_kb`)."""
    kb, diagnostics = load_kb(project, cache)
    diagnostics += check_kb(kb)
    return ValidationReport(kb, sorted(set(diagnostics)))


def open_kb(project: Project, strict: bool = False) -> tuple[KnowledgeBase, list[Diagnostic]]:
    """Load the KB for a query command.

    With ``strict``, any problem raises :class:`ValidationFailedError`; otherwise the papers that
    loaded are returned with the diagnostics, so queries still work on a partly broken checkout.
    """
    report = validate(project)
    if strict and not report.ok:
        raise ValidationFailedError(report.diagnostics)
    return report.kb, report.diagnostics
