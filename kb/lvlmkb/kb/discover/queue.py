"""The review queue ``queue/discovered.yaml``: candidate papers found by ``lvlmkb discover``.

The file sits outside ``papers/`` and ``lvlmkb validate`` never loads it. Each item holds what arXiv
said (machine fields, refreshed by every run) and what a reviewer decided (``status``, ``kind``,
``category``, ``facets``, ``summary``, ``notes``: never touched by ``discover``). A run keeps every
item already in the file, in its order, refreshes the machine fields of those it finds again, and
appends new ones, best score first. ``lvlmkb add-paper --from-queue ID`` turns an item into an entry
and marks it ``status: added`` with ``paper: <id>``. Comments in the file are not kept (only the
header is written back): put remarks in ``notes``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError

from lvlmkb.errors import LvlmkbError, NotFoundError, UsageError
from lvlmkb.fsio import write_atomic
from lvlmkb.kb.schema.common import ArxivId, DateStr, HttpUrl, Label, ShortText, Slug, StrictModel, Text
from lvlmkb.kb.schema.taxonomy import Kind
from lvlmkb.kb.yamlio import PlainDataError, load_plain

QUEUE_FILE = Path("queue") / "discovered.yaml"
HEADER = (
    "# Review queue written by `lvlmkb discover` (not loaded by `lvlmkb validate`).\n"
    "# Review an item by setting status (new, accept, reject), and optionally kind, category, facets,\n"
    "# summary and notes; `lvlmkb add-paper --from-queue ARXIV_ID` turns it into papers/<id>.yaml.\n"
    "# discover keeps these fields and every item; comments other than this header are not kept.\n"
)
Status = Literal["new", "accept", "reject", "added"]
REVIEWER_FIELDS = ("status", "kind", "category", "facets", "summary", "notes", "paper")


class QueueFileError(LvlmkbError):
    """The queue file cannot be read as a queue."""


class Suggested(StrictModel):
    """The suggestion rules' proposal for a candidate."""

    category: Slug
    kind: Kind | None = None
    facets: dict[Slug, list[Slug]] = Field(default_factory=dict)
    matched: list[Label] = Field(default_factory=list)


class QueueItem(StrictModel):
    """One candidate paper: arXiv's metadata, the rules' score, and the reviewer's decision."""

    arxiv: ArxivId
    version: int = Field(ge=1, le=99, description="The arXiv version the metadata below was read from.")
    title: ShortText
    authors: list[Label] = Field(default_factory=list)
    published: DateStr = Field(description="First version, YYYY-MM-DD.")
    updated: DateStr | None = None
    comment: ShortText | None = None
    journal_ref: ShortText | None = None
    code: HttpUrl | None = None
    abstract: Text | None = None
    score: float = Field(ge=0, description="The suggestion rules' score: title hits x3, abstract hits x1.")
    suggested: Suggested | None = None
    found: DateStr = Field(description="The day discover last read the item at arXiv.")
    status: Status = "new"
    kind: Kind | None = None
    category: Slug | None = None
    facets: dict[Slug, list[Slug]] | None = None
    summary: Text | None = None
    notes: Text | None = None
    paper: Slug | None = Field(default=None, description="The entry add-paper made of it.")


class Queue(StrictModel):
    """The whole file."""

    last_run: DateStr | None = Field(default=None, description="The day discover last ran; the next run starts here.")
    items: list[QueueItem] = Field(default_factory=list)

    def item(self, arxiv_id: str) -> QueueItem | None:
        """The item of ``arxiv_id``, if any."""
        return next((i for i in self.items if i.arxiv == arxiv_id), None)


def queue_path(root: Path) -> Path:
    """Where the queue of the checkout at ``root`` lives."""
    return root / QUEUE_FILE


def load_queue(path: Path) -> Queue:
    """The queue at ``path`` (an empty one when the file does not exist).

    Raises:
        QueueFileError: not UTF-8 YAML, or not in the queue's format.
    """
    if not path.is_file():
        return Queue()
    hint = f"fix {path.name} by hand (or delete it to start a new queue)"
    try:
        data = load_plain(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, PlainDataError, yaml.YAMLError) as err:
        raise QueueFileError(f"{path.name} is not readable YAML ({' '.join(str(err).split())[:200]})", hint) from None
    try:
        return Queue.model_validate(data or {})
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise QueueFileError(f"{path.name}: {where}: {first['msg']}", hint) from None


def merge(queue: Queue, found: list[QueueItem], last_run: str, known: set[str]) -> tuple[Queue, int, int]:
    """``queue`` with ``found`` merged in; return it with the numbers of new and refreshed items.

    An item already queued keeps its place and its reviewer fields; its machine fields take the new
    values. An item whose paper is now in the KB (``known`` arXiv ids) is marked ``added``.
    """
    by_id = {item.arxiv: item for item in found}
    items: list[QueueItem] = []
    refreshed = 0
    for item in queue.items:
        fresh = by_id.pop(item.arxiv, None)
        if fresh is not None:
            item = fresh.model_copy(update={name: getattr(item, name) for name in REVIEWER_FIELDS})
            refreshed += 1
        if item.arxiv in known and item.status in ("new", "accept"):
            item = item.model_copy(update={"status": "added"})
        items.append(item)
    new = sorted(by_id.values(), key=lambda i: (-i.score, i.published, i.arxiv))
    return Queue(last_run=last_run, items=items + new), len(new), refreshed


def save_queue(path: Path, queue: Queue) -> None:
    """Write the queue atomically: the header, then the items with empty fields left out."""
    data = queue.model_dump(mode="json", exclude_none=True)
    data["items"] = [{k: v for k, v in item.items() if v not in ({}, [])} for item in data["items"]]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    write_atomic(path, HEADER + body)


def take_item(queue: Queue, arxiv_id: str) -> QueueItem:
    """The item to turn into an entry.

    Raises:
        NotFoundError: no such item.
        UsageError: the item was rejected or already added.
    """
    item = queue.item(arxiv_id)
    if item is None:
        raise NotFoundError(f"{QUEUE_FILE.as_posix()} has no item {arxiv_id}", "run `lvlmkb discover`, or check the id")
    if item.status == "reject":
        raise UsageError(f"queue item {arxiv_id} is rejected", "set its status to accept first if that was a mistake")
    if item.status == "added":
        raise UsageError(
            f"queue item {arxiv_id} was already added" + (f" as papers/{item.paper}.yaml" if item.paper else ""),
            "nothing to do",
        )
    return item


def mark_added(path: Path, arxiv_id: str, paper_id: str) -> None:
    """Mark the item ``added`` with its new paper id (re-reads the file, so edits made meanwhile stay)."""
    queue = load_queue(path)
    items = [
        i.model_copy(update={"status": "added", "paper": paper_id}) if i.arxiv == arxiv_id else i for i in queue.items
    ]
    save_queue(path, Queue(last_run=queue.last_run, items=items))
