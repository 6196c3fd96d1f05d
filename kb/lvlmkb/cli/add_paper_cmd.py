"""``lvlmkb add-paper``: fetch a paper's metadata, classify it with the contributor, write its file."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from lvlmkb.cli.common import RootOption, handle_errors, project_for
from lvlmkb.errors import UsageError

if TYPE_CHECKING:
    from lvlmkb.kb.contribute.add import Classification, Metadata, Overrides
    from lvlmkb.kb.contribute.suggest import Suggestion
    from lvlmkb.kb.discover.intake import QueuedPaper
    from lvlmkb.kb.knowledge import KnowledgeBase

KINDS = ("attack", "defense", "evaluation")


@handle_errors
def add_paper_command(
    ref: Annotated[str | None, typer.Argument(help="arXiv id or URL (omit with --offline and --title).")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Do not contact arXiv; give the metadata.")] = False,
    title: Annotated[str | None, typer.Option(help="Title (overrides arXiv's).")] = None,
    authors: Annotated[str | None, typer.Option(help="Authors separated by ';'.")] = None,
    year: Annotated[int | None, typer.Option(help="Year of the venue or preprint.")] = None,
    date: Annotated[str | None, typer.Option(help="First version, YYYY-MM[-DD].")] = None,
    venue: Annotated[str | None, typer.Option(help='Venue, e.g. "NeurIPS\'24".')] = None,
    code: Annotated[str | None, typer.Option(help="Code link (http(s)).")] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(help="FIELD=KIND:REF, where you confirmed a value, e.g. venue=proceedings:URL (repeatable)."),
    ] = None,
    from_queue: Annotated[
        str | None, typer.Option("--from-queue", help="Add this arXiv id from queue/discovered.yaml (lvlmkb discover).")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="attack, defense or evaluation.")] = None,
    category: Annotated[str | None, typer.Option(help="A taxonomy leaf id.")] = None,
    facet: Annotated[list[str] | None, typer.Option(help="FACET=V1,V2 (repeatable).")] = None,
    summary: Annotated[str | None, typer.Option(help="One or two sentences in your own words.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="A tag (repeatable).")] = None,
    target: Annotated[list[str] | None, typer.Option(help="A model id the paper evaluates (repeatable).")] = None,
    notes: Annotated[str | None, typer.Option(help="Notes on uncertain points.")] = None,
    paper_id: Annotated[str | None, typer.Option("--id", help="Use this id instead of the proposed one.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Accept suggestions; never prompt.")] = False,
    interactive: Annotated[
        bool | None, typer.Option("--interactive/--no-interactive", help="Prompt (default: when in a terminal).")
    ] = None,
    root: RootOption = None,
) -> None:
    """Add a paper: arXiv metadata, a taxonomy classification, a validated papers/<id>.yaml.

    Example: lvlmkb add-paper 2311.05608 --kind attack
    """
    from lvlmkb.cli.add_paper_flags import AddPaperFlags, check_flags
    from lvlmkb.kb.contribute.add import Overrides, add_paper, gather_metadata, next_steps, suggestion_for
    from lvlmkb.kb.contribute.sources import parse_source_flags
    from lvlmkb.kb.discover.intake import mark_queued_added
    from lvlmkb.kb.validate import open_kb, validate

    project = project_for(root)
    kb, _ = open_kb(project)
    check_flags(
        kb,
        AddPaperFlags(
            ref, offline, title, _split_authors(authors), year, date, code, kind, category, facet or [], summary,
            tag or [], target or [], paper_id, from_queue=from_queue is not None, yes=yes,
            ask=(not yes) and (sys.stdin.isatty() if interactive is None else interactive),
        ),
    )  # fmt: skip
    given = Overrides(title, _split_authors(authors), year, date, venue, code, parse_source_flags(source or []))
    queued = _from_queue(kb, ref, from_queue, given)
    meta = queued.meta if queued else gather_metadata(kb, ref, given, offline=offline)
    _show_metadata(meta)
    ask = (not yes) and (sys.stdin.isatty() if interactive is None else interactive)
    suggestion = suggestion_for(kb, meta)
    if suggestion is not None:
        typer.echo(f"suggested category: {suggestion.category} (matched: {', '.join(suggestion.matched)})")
    choices = _Choices(kind, category, _parse_facets(facet or []), summary, tag or [], target or [], notes)
    if queued:
        _fill_from_queue(choices, queued)
    cls = _classify(kb, choices, suggestion, ask, yes)
    written = add_paper(kb, meta, cls, paper_id)
    typer.echo(f"wrote {written.path.relative_to(project.root).as_posix()}")
    if queued:
        mark_queued_added(queued, written.paper.id)
        typer.echo(f"marked {queued.item.arxiv} as added in queue/discovered.yaml")
    report = validate(project)
    typer.echo(f"lvlmkb validate: {report.summary()}")
    typer.echo("next steps for a pull request:")
    for step in next_steps(written.paper.id):
        typer.echo(f"  {step}")


def _from_queue(kb: KnowledgeBase, ref: str | None, from_queue: str | None, given: Overrides) -> QueuedPaper | None:
    from lvlmkb.kb.discover.intake import from_queue as queued_paper

    if from_queue is None:
        return None
    if ref is not None:
        raise UsageError("give an arXiv id or --from-queue, not both", f"e.g. add-paper --from-queue {from_queue}")
    return queued_paper(kb, from_queue, given)


def _fill_from_queue(choices: _Choices, queued: QueuedPaper) -> None:
    """Flags win; the queue item's reviewed (or suggested) classification fills the rest."""
    item = queued.choices
    choices.kind, choices.category = choices.kind or item.kind, choices.category or item.category
    choices.facets = choices.facets or item.facets
    choices.summary, choices.notes = choices.summary or item.summary, choices.notes or item.notes


def _split_authors(text: str | None) -> list[str]:
    return [a.strip() for a in (text or "").split(";") if a.strip()]


def _parse_facets(items: list[str]) -> dict[str, list[str]]:
    facets: dict[str, list[str]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--facet {item!r} is not FACET=VALUES", "e.g. --facet access=black-box")
        facets.setdefault(name.strip(), []).extend(v.strip() for v in values.split(",") if v.strip())
    return facets


def _show_metadata(meta: Metadata) -> None:
    typer.echo(f"title:   {meta.title}")
    typer.echo(f"authors: {', '.join(meta.authors) or '-'}")
    typer.echo(f"year:    {meta.year}   arXiv: {meta.arxiv_id or '-'}   code: {meta.code_url or '-'}")


class _Choices:
    def __init__(
        self,
        kind: str | None,
        category: str | None,
        facets: dict[str, list[str]],
        summary: str | None,
        tags: list[str],
        targets: list[str],
        notes: str | None,
    ) -> None:
        self.kind, self.category, self.facets, self.summary = kind, category, facets, summary
        self.tags, self.targets, self.notes = tags, targets, notes


def _classify(
    kb: KnowledgeBase, given: _Choices, suggestion: Suggestion | None, ask: bool, yes: bool
) -> Classification:
    from lvlmkb.kb.contribute.add import Classification

    suggested_category = suggestion.category if suggestion else None
    category = given.category or (
        _ask_category(kb, given.kind, suggested_category) if ask else (suggested_category if yes else None)
    )
    if category is None:
        raise UsageError(
            "no category given", "pass --kind and --category (leaf ids: lvlmkb stats), or run in a terminal"
        )
    kind = given.kind or kb.taxonomy.kind_of(category) or ""
    facets = given.facets or (_ask_facets(kb, suggestion) if ask else (suggestion.facets if yes and suggestion else {}))
    summary = given.summary or (_ask_text("Summary (one or two sentences, in your own words)") if ask else None)
    if not summary:
        raise UsageError("no summary given", "pass --summary 'one or two sentences in your own words'")
    tags = given.tags or (_ask_list("Tags (comma-separated, optional)") if ask else [])
    return Classification(kind, category, summary, facets, tags, given.targets, given.notes)


def _ask_category(kb: KnowledgeBase, kind: str | None, suggested: str | None) -> str:
    from rich.prompt import Prompt

    from lvlmkb.kb.contribute.add import leaves_for

    default_kind = kb.taxonomy.kind_of(suggested) if suggested else None
    kind = kind if kind else str(Prompt.ask("Kind", choices=list(KINDS), default=default_kind or "attack"))
    phase = None
    if kind != "evaluation":
        default_phase = kb.taxonomy.phase_of(suggested) if suggested else None
        phase = Prompt.ask("Phase", choices=["inference", "training"], default=default_phase or "inference")
    leaves = leaves_for(kb, kind, phase)
    for leaf in leaves:
        typer.echo(f"  {leaf}: {kb.taxonomy.nodes[leaf].label}")
    default = suggested if suggested in leaves else leaves[0]
    return Prompt.ask("Category", choices=leaves, default=default, show_choices=False)


def _ask_facets(kb: KnowledgeBase, suggestion: Suggestion | None) -> dict[str, list[str]]:
    from rich.prompt import Prompt

    facets: dict[str, list[str]] = {}
    for facet_id, facet in kb.taxonomy.facets.items():
        allowed = [v.id for v in facet.values]
        default = ",".join(suggestion.facets.get(facet_id, [])) if suggestion else ""
        while True:
            answer = Prompt.ask(f"{facet_id} ({', '.join(allowed)}; comma-separated, empty for none)", default=default)
            values = [v.strip() for v in answer.split(",") if v.strip()]
            unknown = [v for v in values if v not in allowed]
            if not unknown:
                break
            typer.echo(f"not a value of {facet_id}: {', '.join(unknown)}")
        facets[facet_id] = values
    return facets


def _ask_text(question: str) -> str:
    from rich.prompt import Prompt

    answer = ""
    while not answer.strip():
        answer = Prompt.ask(question)
    return answer.strip()


def _ask_list(question: str) -> list[str]:
    from rich.prompt import Prompt

    return [v.strip() for v in Prompt.ask(question, default="").split(",") if v.strip()]
