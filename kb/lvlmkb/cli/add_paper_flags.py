"""Every mistake in the flags of ``lvlmkb add-paper``, found in one pass before anything is fetched or asked.

Without this a contributor fixes one flag per run: the offline fields, then the facet syntax, then the
category, then the summary. :func:`check_flags` collects them all and raises one usage error (exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lvlmkb.choices import choice_hint, choice_problem
from lvlmkb.errors import UsageError

if TYPE_CHECKING:
    from lvlmkb.kb.knowledge import KnowledgeBase

KINDS = ("attack", "defense", "evaluation")
STATS_HINT = "`lvlmkb stats`"


@dataclass(frozen=True)
class AddPaperFlags:
    """The flags of one ``add-paper`` call that can be checked without arXiv."""

    ref: str | None = None
    offline: bool = False
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    date: str | None = None
    code: str | None = None
    kind: str | None = None
    category: str | None = None
    facets: list[str] = field(default_factory=list)
    summary: str | None = None
    tags: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    paper_id: str | None = None
    from_queue: bool = False
    """The metadata and classification may come from a queue item (``--from-queue``): none is required."""
    ask: bool = False
    """The command will prompt for what is missing."""
    yes: bool = False
    """The command takes the suggested category when none is given."""


def check_flags(kb: KnowledgeBase, flags: AddPaperFlags) -> None:
    """Raise one :class:`UsageError` naming every problem of ``flags``; return when there is none.

    A paper already in the KB is refused first (as before: no flag needs fixing for a paper that is there).

    Raises:
        DuplicatePaperError: the arXiv id or the title given is already in the KB.
        UsageError: the flags have problems; the message lists them all.
    """
    from lvlmkb.kb.contribute.draft import refuse_duplicate

    refuse_duplicate(kb, _arxiv_id(flags.ref), flags.title)
    problems = flag_problems(kb, flags)
    if problems:
        lines = "\n".join(f"  {problem}" for problem in problems)
        raise UsageError(
            f"{len(problems)} problem(s) with the flags of add-paper:\n{lines}", "fix them all, then run it again"
        )


def flag_problems(kb: KnowledgeBase, flags: AddPaperFlags) -> list[str]:
    """One line per problem, ``--flag: what is wrong``, in the order of the flags."""
    problems = _source_problems(flags)
    problems += _classification_problems(kb, flags)
    problems += _value_problems(kb, flags)
    return problems


def _arxiv_id(ref: str | None) -> str | None:
    from lvlmkb.kb.contribute.arxiv_api import parse_arxiv_ref

    if ref is None:
        return None
    try:
        return parse_arxiv_ref(ref)
    except UsageError:
        return None


def _source_problems(flags: AddPaperFlags) -> list[str]:
    from lvlmkb.kb.contribute.arxiv_api import parse_arxiv_ref

    problems: list[str] = []
    if flags.ref is not None:
        try:
            parse_arxiv_ref(flags.ref)
        except UsageError as err:
            problems.append(f"REF: {err.message}")
    if (flags.offline or flags.ref is None) and not flags.from_queue:
        given = (("--title", flags.title), ("--year", flags.year), ("--authors", flags.authors))
        missing = [name for name, value in given if not value]
        if missing:
            problems.append(f"without arXiv, {', '.join(missing)} must be given (e.g. --title 'A Title' --year 2025)")
    return problems


def _classification_problems(kb: KnowledgeBase, flags: AddPaperFlags) -> list[str]:
    problems: list[str] = []
    if flags.kind is not None and (problem := choice_problem("kind", flags.kind, KINDS, exact=True)):
        problems.append(f"--kind: {problem}")
    if flags.category is not None:
        leaves = kb.taxonomy.leaves
        problem = choice_problem("category", flags.category, leaves, STATS_HINT, exact=True)
        if problem:
            problems.append(f"--category: {problem}")
        elif flags.kind in KINDS and kb.taxonomy.kind_of(flags.category) != flags.kind:
            problems.append(f"--category: '{flags.category}' is not a leaf of kind {flags.kind}")
    elif not flags.ask and not flags.yes and not flags.from_queue:
        problems.append("--category: no category given; pass it (leaf ids: `lvlmkb stats`), or --yes, or prompt")
    problems += _facet_problems(kb, flags.facets)
    if not flags.summary and not flags.ask and not flags.from_queue:
        problems.append("--summary: no summary given; pass --summary 'one or two sentences in your own words'")
    return problems


def _facet_problems(kb: KnowledgeBase, specs: list[str]) -> list[str]:
    problems: list[str] = []
    for spec in specs:
        name, sep, values = spec.partition("=")
        if not sep or not name.strip():
            problems.append(f"--facet: {spec!r} is not FACET=VALUES (e.g. access=black-box)")
            continue
        facet = name.strip()
        if facet not in kb.taxonomy.facets:
            problems.append(f"--facet: '{facet}' is not a facet; {choice_hint('facet', facet, kb.taxonomy.facets)}")
            continue
        allowed = kb.taxonomy.facet_values(facet)
        for value in (v.strip() for v in values.split(",") if v.strip()):
            if value not in allowed:
                hint = choice_hint(f"{facet} value", value, allowed, STATS_HINT)
                problems.append(f"--facet: '{value}' is not a value of facet '{facet}'; {hint}")
    return problems


def _value_problems(kb: KnowledgeBase, flags: AddPaperFlags) -> list[str]:
    from lvlmkb.kb.schema.common import DATE_PATTERN, MODEL_ID_PATTERN, SLUG_PATTERN

    problems: list[str] = []
    if flags.date is not None and not re.match(DATE_PATTERN, flags.date):
        problems.append(f"--date: {flags.date!r} is not YYYY-MM or YYYY-MM-DD")
    if flags.code is not None and not re.match(r"^https?://[^\s/]+", flags.code):
        problems.append(f"--code: only http(s) links are allowed, got {flags.code!r}")
    problems += [
        f"--tag: {tag!r} is not a slug (e.g. visual-prompt)" for tag in flags.tags if not re.match(SLUG_PATTERN, tag)
    ]
    for target in flags.targets:
        if not re.match(MODEL_ID_PATTERN, target):
            problems.append(f"--target: {target!r} is not a model id")
        elif kb.models and (problem := choice_problem("model", target, kb.models, "`lvlmkb models`", exact=True)):
            problems.append(f"--target: {problem}")
    if flags.paper_id is not None and not re.match(SLUG_PATTERN, flags.paper_id):
        problems.append(f"--id: {flags.paper_id!r} is not a slug id (lowercase letters and digits, single hyphens)")
    return problems
