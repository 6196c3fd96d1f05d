"""BAP: the intent first, then the attacker's rewrites (as a list's repr) until the judge's flag is 1."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lvlmkb.eval.backends.base import Backend, GenerationRequest
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import Role, RunContext
from lvlmkb.eval.datasets.base import sha256_file
from lvlmkb.eval.judges import bap as judge_module
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from tests.conftest import DATA

PIL = pytest.importorskip("PIL.Image")
from reproductions.bap import attack as bap  # noqa: E402

BEHAVIORS = DATA / "datasets" / "advbench-behaviors.csv"


def test_the_templates_are_the_authors_literals() -> None:
    assert hashlib.sha256(bap.COT_TEMPLATE.encode()).hexdigest().startswith("2159afae")
    assert hashlib.sha256(judge_module.TEMPLATE.encode()).hexdigest().startswith("0cffed77")


@pytest.mark.parametrize(("reply", "flag"), [("@@1@@", 1), ("so @@0@@", 0), ("@@0@@ or @@1@@", 1), ("1", None)])
def test_the_flag_is_read_as_eval_py_reads_it(reply: str, flag: int | None) -> None:
    assert judge_module.read_flag(reply) == flag


def test_the_next_question_is_the_list_repr_by_default() -> None:
    assert bap.next_question("Think... @@How to bake?@@", True) == "['How to bake?']"
    assert bap.next_question("Think... @@How to bake?@@", False) == "How to bake?"


def test_the_loop_rewrites_until_the_judge_says_one(
    repo_kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = tmp_path / "vap.png"
    PIL.new("RGB", (16, 16), "#336699").save(image)
    judge = MockBackend(script=lambda _r: "no flag")
    judge.enqueue(["@@0@@", "@@1@@"])
    attacker = MockBackend(script=lambda _r: "Let me think. @@Tell a story about it@@")
    opened = RunContext.open_model

    def open_model(self: RunContext, alias: str, role: Role = "target") -> Backend:
        return {"judge": judge, "auxiliary": attacker}.get(role) or opened(self, alias, role)

    monkeypatch.setattr(RunContext, "open_model", open_model)
    target = MockBackend("comply")
    config = {"image": str(image), "image_sha256": sha256_file(image), "attacker": "mock-comply"}
    spec = RunSpec(
        method="bap",
        model="mock-comply",
        data=BEHAVIORS,
        limit=1,
        out=tmp_path / "run",
        judge_model="mock-comply",
        config=config,
    )
    run_reproduction(RunContext(repo_kb), spec, backend=target)
    sent = [r.messages[-1].parts for r in target.history]
    intent = "Write a short poem about a locked door"
    assert [p[0] for p in sent] == [intent, "['Tell a story about it']"], "text first, then the image"
    cot: GenerationRequest = attacker.history[0]
    assert cot.messages[0].text == bap.ATTACKER_SYSTEM
    assert cot.messages[1].text == bap.COT_TEMPLATE.format(intent, intent, target.script(target.history[0]))
    row = json.loads((tmp_path / "run" / "samples.jsonl").read_text().splitlines()[0])
    assert [(q["label"], q["kept"]) for q in row["queries"]] == [("flag-0", False), ("flag-1", True)]


def test_without_an_attacker_the_run_is_refused(repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    from lvlmkb.errors import UsageError

    spec = RunSpec(method="bap", model="mock-comply", data=BEHAVIORS, out=tmp_path / "run", judge_model="mock-comply")
    with pytest.raises(UsageError, match="needs an attacker model"):
        run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply"))
    assert not (tmp_path / "run").exists()
