"""Models by role: the target's options, and each other role's own, with only device and dtype inherited."""

from __future__ import annotations

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.registry import BackendOptions
from lvlmkb.eval.context import ROLES, Role, RunContext, role_of_option
from lvlmkb.kb.knowledge import KnowledgeBase

TARGET = BackendOptions(
    device="cpu",
    dtype="float32",
    trust_remote_code=True,
    base_url="http://127.0.0.1:9/v1",
    extra={"timeout": 5},
    backend="openai",
    served_model="served",
)


@pytest.mark.parametrize("role", ROLES[1:])
def test_a_role_without_flags_shares_only_the_targets_device_and_dtype(role: Role, repo_kb: KnowledgeBase) -> None:
    context = RunContext(repo_kb, TARGET)
    assert context.options_for("target") is TARGET
    assert context.options_for(role) == BackendOptions(device="cpu", dtype="float32")


def test_a_roles_own_flags_win_and_the_others_stay_its_own(repo_kb: KnowledgeBase) -> None:
    defender = BackendOptions(device="cuda:1", base_url="http://127.0.0.1:8/v1")
    context = RunContext(repo_kb, TARGET, {"defender": defender})
    chosen = context.options_for("defender")
    assert (chosen.device, chosen.dtype, chosen.base_url, chosen.trust_remote_code) == (
        "cuda:1", "float32", "http://127.0.0.1:8/v1", False
    )  # fmt: skip
    assert context.options_for("judge") == BackendOptions(device="cpu", dtype="float32")


def test_checks_name_the_roles_own_flags(repo_kb: KnowledgeBase) -> None:
    context = RunContext(repo_kb, BackendOptions(), {"judge": BackendOptions(dtype="fp16")})
    assert context.check_model("mock-comply") == "mock"
    with pytest.raises(UsageError, match="--judge-dtype 'fp16' is not a choice"):
        context.check_model("mock-comply", "judge")
    with pytest.raises(UsageError, match="--aux-device 'gpu' is not a device"):
        RunContext(repo_kb, BackendOptions(), {"auxiliary": BackendOptions(device="gpu")}).check_model(
            "mock-comply", "auxiliary"
        )


def test_a_stage_option_names_its_role() -> None:
    assert [role_of_option(name) for name in ("defender", "judge", "sd_model")] == ["defender", "judge", "auxiliary"]


def test_the_context_answers_what_a_run_asks_of_the_checkout(repo_kb: KnowledgeBase) -> None:
    context = RunContext(repo_kb)
    assert context.reproductions_dir == repo_kb.project.root / "reproductions"
    assert context.model("janus-pro").checkpoint == repo_kb.models["janus-pro"].checkpoint
    assert context.has_paper("gong2023figstep") and not context.has_paper("nobody2020nothing")
    reported = context.reported("gong2023figstep", "llava-1.5-7b", "figstep", "safebench")
    assert reported and all(paper == "gong2023figstep" for paper, _ in reported)
    assert {r.model for r in context.published("gong2023figstep", "llava-1.5-7b")} == {"llava-1.5-7b"}


def test_check_models_checks_the_judge_with_its_own_options(repo_kb: KnowledgeBase) -> None:
    context = RunContext(repo_kb, BackendOptions(), {"judge": BackendOptions(device="gpu")})
    context.check_models("mock-comply")
    with pytest.raises(UsageError, match="--judge-device 'gpu' is not a device"):
        context.check_models("mock-comply", "mock-refuse")
