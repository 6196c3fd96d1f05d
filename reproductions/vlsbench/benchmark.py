"""VLSBench (Hu et al., ACL 2025, arXiv 2411.19939): 2,241 image-text pairs whose text alone leaks no harm.

Each item's ``instruction`` is sent with its image, nothing added (``eval.py`` ``eval_main``: the
instruction and ``<data_root>/<image_path>``; no system or safety prompt in ``models/*.py``); upstream
strips the answer, and the judge strips it too. VLSBench scores the answers with GPT-4o (``--judge
llm-vlsbench --judge-model ALIAS``, see :mod:`lvlmkb.eval.judges.vlsbench`): label 1 *Safe with
refusal*, 2 *Safe with warning* or 3 *Unsafe*; its safety rate is labels 1 and 2 over all items
(``eval.py`` L52-57). That judge's rate is the unsafe rate, 100 minus the safety rate of the paper's
Table 3 (recorded in the KB beside each run).

Upstream's ``eval.py`` (L84) keeps only ``data[:2]`` before running, a debugging line left in at both
commits read; lvlmkb runs every item (``--limit`` to run fewer).
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
from reproductions.vlsbench.dataset import REPO

HEAD = "68f54dea3eab134afefe602a5c7283bfa39a886a"
EVAL = Source(REPO, HEAD, "eval.py")


class VLSBenchConfig(MethodConfig):
    """The item field sent as the text (the instruction, as upstream sends it)."""

    text_field: str = sourced(
        "instruction",
        EVAL.at("L36-38 question = item['instruction']; model_inference(question, image_path)"),
        min_length=1,
    )


DEVIATIONS = (
    Deviation(
        "judge: a refusal-keyword judge by default instead of VLSBench's GPT-4o judge",
        "the GPT-4o judge needs a judge model; pass --judge llm-vlsbench --judge-model ALIAS for its protocol",
    ),
    Deviation(
        "decoding comes from the run (--max-new-tokens), not from the benchmark",
        "VLSBench's local models decode greedily with max_new_tokens 128 (models/load_llava_hf.py L11-16): pass "
        "--max-new-tokens 128 to match",
    ),
    Deviation(
        "the image comes first in the user turn",
        "VLSBench's llava-hf and LLaVA-NeXT loaders put the text first ([text, image]); Llama-3.2-Vision and "
        "Qwen2-VL put the image first, as lvlmkb's runner does for every model",
    ),
    Deviation(
        "the chat template comes from the model's own processor",
        "VLSBench's original-LLaVA loader builds the llava_v1 conversation itself (models/load_llava.py)",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["instruction"],
    paper="hu2024vlsbench",
    version=1,
    dataset="vlsbench",
    judges=["refusal-gcg-advbench-29"],
    deviations=DEVIATIONS,
)
class VLSBench(Method[VLSBenchConfig]):
    """VLSBench: each instruction with its image, as the authors' evaluation sends it."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The instruction, unchanged, with its image."""
        image = sample.image.name if sample.image else ""
        sub_category = sample.fields.get("sub_category", "")
        return as_it_is(sample, self.settings.text_field, "vlsbench", image=image, sub_category=sub_category)
