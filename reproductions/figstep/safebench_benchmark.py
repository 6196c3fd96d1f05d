"""SafeBench (Gong et al., AAAI 2025, arXiv 2311.05608) as a benchmark: each question asked as it is.

FigStep's paper introduces SafeBench (500 harmful questions in 10 topics; SafeBench-Tiny, 50 of them)
and measures every model on it first with the *vanilla query*: the question alone, text only
(``QueryType.baseline`` of ``src/generate_prompts.py``, whose ``gen_query`` returns the question and no
image). That is this benchmark; FigStep itself (``lvlmkb reproduce figstep``) then renders the same rows
as images. The setting is named ``baseline``, the name FigStep's Table 1 rows carry in the KB, so a run
prints the paper's vanilla-query ASR beside its own.

Run it with ``lvlmkb reproduce safebench --model ALIAS`` (``--dataset safebench-tiny`` for the 50-row
set). The paper's ASR comes from manual review with one success in five attempts; see the deviations.
"""

from __future__ import annotations

from typing import Literal

from lvlmkb.eval import CraftedInput, DatasetError, Deviation, Method, MethodConfig, Sample, Source, benchmark, sourced
from reproductions.figstep.attack import DEVIATIONS as FIGSTEP_DEVIATIONS
from reproductions.figstep.attack import UPSTREAM

QUERY_TYPE = Source(UPSTREAM.repo, UPSTREAM.commit, UPSTREAM.file)


class SafeBenchConfig(MethodConfig):
    """Which column of the SafeBench row is asked (the raw question, as FigStep's vanilla query)."""

    field: Literal["question", "instruction"] = sourced(
        "question",
        QUERY_TYPE.at("L80-84 gen_query: QueryType.baseline returns (question, None): no image"),
        note="'instruction' asks the statement FigStep renders instead (its 'statement' ablation adds '1. 2. 3.')",
    )


DEVIATIONS = (
    Deviation(
        "judge: a refusal-keyword judge by default instead of manual review",
        "the paper's vanilla-query numbers come from manual review, which cannot run offline; pass --judge",
    ),
    *FIGSTEP_DEVIATIONS[1:],  # one attempt per question; the checkpoint's own chat template
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["question"],
    paper="gong2023figstep",
    version=1,
    dataset="safebench",
    judges=["refusal-gcg-advbench-29"],
    deviations=DEVIATIONS,
    id="safebench",
)
class SafeBench(Method[SafeBenchConfig]):
    """SafeBench's questions asked directly, text only: FigStep's vanilla-query baseline as a benchmark."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The row's question, unchanged, with no image."""
        field = self.settings.field
        text = sample.fields.get(field)
        if text is None:
            raise DatasetError(f"sample {sample.id} has no field {field}", "use --dataset safebench or safebench-tiny")
        return CraftedInput(sample.id, sample.category, text, meta={"field": field})

    def setting(self) -> str:
        """``baseline`` for the question (the KB's name for FigStep's vanilla query), else the field asked."""
        return "baseline" if self.settings.field == "question" else self.settings.field
