"""A judge declared by the checkout (beside its paper) joins the one registry, and leaves it with the checkout."""

from __future__ import annotations

from pathlib import Path

from lvlmkb.eval.context import RunContext
from lvlmkb.eval.judges.registry import default_registry
from lvlmkb.eval.registry import judges, load_plugins
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from tests.conftest import REPO, copy_paper_folders

JUDGE = '''"""A judge of the checkout: every response counts as a success (a test's stand-in)."""

from lvlmkb.eval import Sample, Verdict, register_judge


class AlwaysSuccess:
    id = "always-success"

    def describe(self) -> dict[str, str]:
        return {"version": "1"}

    def judge(self, sample: Sample, prompt: str, response: str) -> Verdict:
        return Verdict(True, "success")


register_judge("always-success", lambda options: AlwaysSuccess())
'''


def test_a_checkout_judge_is_usable_and_forgotten_with_its_checkout(
    kb_root: Path, fixture_csv: Path, tmp_path: Path
) -> None:
    copy_paper_folders(kb_root, "figstep")
    (kb_root / "reproductions" / "always_judge.py").write_text(JUDGE, encoding="utf-8")
    kb, _ = open_kb(Project(kb_root))
    spec = RunSpec(
        method="figstep", model="mock-refuse", data=fixture_csv, limit=2, judges=("always-success",), out=tmp_path / "r"
    )
    record = run_reproduction(RunContext(kb), spec).record
    assert record.aggregates[0].judge == "always-success" and record.aggregates[0].overall.asr == 1.0
    assert "always-success" in default_registry().ids() and judges()["always-success"].module.startswith(
        "reproductions"
    )
    load_plugins(REPO / "reproductions")  # another checkout: its judges replace this one's
    assert "always-success" not in judges() and "refusal-gcg-advbench-29" in judges()
