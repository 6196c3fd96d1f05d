"""A fake network for the online commands: recorded answers per host, a fake clock, and the request log."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx

from lvlmkb.netio import Http
from tests.conftest import DATA

ONLINE = DATA / "online"
TODAY = dt.date(2026, 3, 1)
Answer = httpx.Response | Exception
Responder = Callable[[httpx.Request], Answer]

GUARD_PAPER = """\
# yaml-language-server: $schema=paper.schema.json
id: lee2024guard
title: Guard Prompts for Multimodal Assistants
authors:
- Mia Lee
year: 2024
venue: arXiv'24
date: '2024-06-12'
arxiv: '2406.90001'
arxiv_version: 1
urls:
  paper: https://arxiv.org/abs/2406.90001
kind: defense
phase: inference
category: input-sanitization
summary: A defensive prompt that screens image inputs before the assistant answers.
# provenance: checked by hand against the arXiv listing
sources:
  title: {kind: arxiv, ref: 2406.90001v1, checked: '2026-01-05'}
  authors: {kind: arxiv, ref: 2406.90001v1, checked: '2026-01-05'}
  date: {kind: arxiv, ref: 2406.90001v1, checked: '2026-01-05'}
  venue: {kind: arxiv, ref: 2406.90001v1, checked: '2026-01-05'}
"""


class FakeClock:
    """Wall-clock seconds that only move when something sleeps."""

    def __init__(self) -> None:
        self.now = 1_772_323_200.0  # 2026-03-01T00:00:00Z
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeNet:
    """Answers by host: first any queued answers, then the host's default responder."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.seen: list[tuple[float, httpx.Request]] = []
        self.defaults: dict[str, Responder] = {
            "export.arxiv.org": arxiv_answer,
            "api.semanticscholar.org": s2_answer,
            "api.openalex.org": openalex_answer,
            "dblp.org": dblp_answer,
            "github.com": lambda request: httpx.Response(200),
        }
        self.queued: dict[str, list[Answer]] = {}

    def queue(self, host: str, *answers: Answer) -> None:
        """Give these answers to the next requests to ``host``, then fall back to its default."""
        self.queued.setdefault(host, []).extend(answers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((self.clock.now, request))
        host = request.url.host
        queued = self.queued.get(host)
        answer = queued.pop(0) if queued else self.defaults[host](request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def http(self) -> Http:
        return Http(httpx.Client(transport=httpx.MockTransport(self.handle)), self.clock.time, self.clock.sleep)

    def requests(self, host: str) -> list[httpx.Request]:
        return [r for _, r in self.seen if r.url.host == host]

    def times(self, host: str) -> list[float]:
        return [t for t, r in self.seen if r.url.host == host]


def read(name: str) -> bytes:
    return (ONLINE / name).read_bytes()


def feed_of(refs: list[str]) -> bytes:
    """One arXiv answer holding the recorded entries of ``refs`` (an id for its latest version, or id+version)."""
    entries = []
    for ref in refs:
        path = ONLINE / f"arxiv_{ref}.xml"
        if path.is_file():
            entries += re.findall(r"<entry>.*?</entry>", path.read_text(encoding="utf-8"), re.DOTALL)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">\n<title type="html">ArXiv Query</title>\n'
        "<id>http://arxiv.org/api/x</id>\n<updated>2026-03-01T00:00:00-05:00</updated>\n"
    )
    return (head + "\n".join(entries) + "\n</feed>\n").encode("utf-8")


def arxiv_answer(request: httpx.Request) -> httpx.Response:
    ids = request.url.params.get("id_list", "")
    if not ids:
        return httpx.Response(200, content=read("arxiv_search.xml"))
    return httpx.Response(200, content=feed_of(ids.split(",")))


def s2_answer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/batch"):
        rows = {"arXiv:2403.01234": json.loads(read("s2_batch.json"))[0]}
        asked = json.loads(request.content)["ids"]
        return httpx.Response(200, json=[rows.get(i) for i in asked])
    return httpx.Response(404, json={"error": "Title match not found"})


def openalex_answer(request: httpx.Request) -> httpx.Response:
    match = re.search(r"/works/doi:10\.48550/arXiv\.(.+)$", request.url.path)
    path = ONLINE / f"openalex_{match.group(1)}.json" if match else None
    if path is not None and path.is_file():
        return httpx.Response(200, content=path.read_bytes())
    return httpx.Response(404, content=read("openalex_not_found.json"))


def dblp_answer(request: httpx.Request) -> httpx.Response:
    query = request.url.params.get("q", "")
    name = "dblp_guard_prompts.json" if "Guard Prompts" in query else "dblp_no_hits.json"
    return httpx.Response(200, content=read(name))


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` with its bytes (temporary files included)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
