"""MOSSBench (Li et al., ICLR 2025, arXiv 2406.17806): do models refuse benign image-question pairs?

Each of the 300 scenes is harmless; its image carries a stimulus (type 1 Exaggerated Risk, type 2
Negated Harm, type 3 Counterintuitive Interpretation: ``experiments/main.py`` L54-59 and L158-163 file
``metadata.over`` ``type N`` under those names) that may trigger an over-cautious refusal. The question is
sent with the image and nothing else (``main.py`` L140 ``model.generate(data['question'], data['image'])``,
no system prompt in any wrapper). MOSSBench scores each answer with a GPT judge (``--judge
llm-mossbench-refusal --judge-model ALIAS``, :mod:`lvlmkb.eval.judges.mossbench`) and reports the refusal
rate, overall and per type: lower is better. The run's per-category rates are the per-type rates.

``--dataset mossbench-contrast`` runs the 244 harmful contrast scenes (``data_contrast/``), on which a
refusal is the safe answer; MOSSBench reports no table for them.
"""

from __future__ import annotations

from lvlmkb.eval import (
    CraftedInput,
    Deviation,
    Method,
    MethodConfig,
    Sample,
    Source,
    as_it_is,
    benchmark,
    sourced,
)
from reproductions.mossbench.dataset import REPO

HEAD = "8d68b0614b39d8990a508e03d99975832f399db2"
MAIN = Source(REPO, HEAD, "experiments/main.py")
HF_MODEL = Source(REPO, HEAD, "MOSSBench/models/huggingface_model.py")


class MOSSBenchConfig(MethodConfig):
    """The scene field sent as the text (the question, as upstream sends it)."""

    text_field: str = sourced("question", MAIN.at("L140 model.generate(data['question'], data['image'])"), min_length=1)


DEVIATIONS = (
    Deviation(
        "judge: a refusal-keyword judge by default instead of MOSSBench's GPT judge",
        "the GPT judge needs a judge model; pass --judge llm-mossbench-refusal --judge-model ALIAS. A keyword "
        "judge's ASR is the complement of a refusal rate: 100 minus it approximates MOSSBench's number",
    ),
    Deviation(
        "decoding comes from the run (greedy, --max-new-tokens), not from the benchmark",
        "MOSSBench's open models use beam search (num_beams 5, max_length 1000 tokens including the prompt, "
        "min_length 10, repetition_penalty 1.5: huggingface_model.py L163-173); lvlmkb's backends decode greedily",
    ),
    Deviation(
        "the chat template comes from the model's own processor, the image first in the user turn",
        "MOSSBench formats LLaVA-1.5 as 'USER: <image>\\n{prompt} ASSISTANT:' itself "
        "(huggingface_model_template.py L1) and sends API models the text before the image",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["question"],
    paper="li2024mossbench",
    version=1,
    dataset="mossbench",
    judges=["refusal-gcg-advbench-29"],
    deviations=DEVIATIONS,
)
class MOSSBench(Method[MOSSBenchConfig]):
    """MOSSBench: each benign scene's question with its image, to measure over-refusal."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The scene's question, unchanged, with its image."""
        image = sample.image.name if sample.image else ""
        return as_it_is(sample, self.settings.text_field, "mossbench", image=image, over=sample.fields.get("over", ""))
