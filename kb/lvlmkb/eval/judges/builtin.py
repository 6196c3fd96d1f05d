"""The built-in judges, registered in the one registry when :func:`lvlmkb.eval.registry.judges` first looks."""

from __future__ import annotations

from typing import Any

from lvlmkb.errors import UsageError
from lvlmkb.eval.judges import (
    bap,
    classifiers,
    cyberseceval,
    elite,
    fc_attack,
    holisafe,
    mm_safetybench,
    mml,
    mossbench,
    mssbench,
    omnisafebench,
    si_attack,
    siuo,
    vlsbench,
    vscbench,
)
from lvlmkb.eval.judges.base import Judge, JudgeFactory
from lvlmkb.eval.judges.llm import TEMPLATES, LLMJudge
from lvlmkb.eval.judges.refusal import REFUSAL_LISTS, RefusalJudge, RefusalList
from lvlmkb.eval.registry import register_judge


def _llm_factory(template_id: str) -> JudgeFactory:
    def create(options: dict[str, Any]) -> Judge:
        backend, model = options.get("backend"), options.get("model")
        if backend is None or model is None:
            raise UsageError(f"judge 'llm-{template_id}' needs a model", "pass --judge-model ALIAS")
        return LLMJudge(ALL_TEMPLATES[template_id], backend, str(model))

    return create


ALL_TEMPLATES = {**TEMPLATES, **mm_safetybench.TEMPLATES}


def _refusal_factory(refusals: RefusalList) -> JudgeFactory:
    def create(_options: dict[str, Any]) -> Judge:
        return RefusalJudge(refusals)

    return create


def register_builtins() -> None:
    """Every refusal list as ``refusal-<list>``, every template as ``llm-<template>``, and the benchmark judges."""
    for list_id, refusals in REFUSAL_LISTS.items():
        register_judge(f"refusal-{list_id}", _refusal_factory(refusals))
    for template_id in ALL_TEMPLATES:
        register_judge(f"llm-{template_id}", _llm_factory(template_id), needs_model=True)
    register_judge(mm_safetybench.JUDGE_ID, mm_safetybench.create, needs_model=True)
    register_judge(mml.JUDGE_ID, mml.FACTORIES[mml.JUDGE_ID], needs_model=True)
    register_judge(si_attack.JUDGE_ID, si_attack.FACTORIES[si_attack.JUDGE_ID], needs_model=True)
    register_judge(cyberseceval.JUDGE_ID, cyberseceval.FACTORIES[cyberseceval.JUDGE_ID], needs_model=True)
    register_judge(mssbench.JUDGE_ID, mssbench.FACTORIES[mssbench.JUDGE_ID], needs_model=True)
    register_judge(holisafe.JUDGE_ID, holisafe.FACTORIES[holisafe.JUDGE_ID], needs_model=True)
    register_judge(vscbench.JUDGE_ID, vscbench.FACTORIES[vscbench.JUDGE_ID], needs_model=True)
    register_judge(fc_attack.JUDGE_ID, fc_attack.FACTORIES[fc_attack.JUDGE_ID], needs_model=True)
    register_judge(omnisafebench.JUDGE_ID, omnisafebench.FACTORIES[omnisafebench.JUDGE_ID], needs_model=True)
    register_judge(elite.JUDGE_ID, elite.FACTORIES[elite.JUDGE_ID], needs_model=True)
    register_judge(bap.JUDGE_ID, bap.FACTORIES[bap.JUDGE_ID], needs_model=True)
    asking = {siuo.SAFETY_JUDGE_ID, vlsbench.JUDGE_ID, mossbench.JUDGE_ID}
    vision = {**siuo.FACTORIES, **vlsbench.FACTORIES, **mossbench.FACTORIES}
    for judge_id, factory in {**classifiers.FACTORIES, **vision}.items():
        asks = judge_id in asking
        register_judge(judge_id, factory, settings=classifiers.SETTINGS.get(judge_id), needs_model=asks)


register_builtins()
