"""JailBreakV-28K (Luo et al., COLM 2024, arXiv 2404.03027): transfer and image jailbreaks of MLLMs.

Each case's ``jailbreak_query`` is sent with its image (``root/image_path``), nothing else: the
authors' ``attack.py`` (v0.2, in the Hugging Face dataset repository ``JailbreakV-28K/JailBreakV-28k``
at commit ``8b490aad``) reads ``query_df["jailbreak_query"]`` and ``os.path.join(root, path)`` for
``query_df["image_path"]``, with ``root`` the folder of ``JailBreakV_28K.csv``. Run the mini split (the
default, 280 cases) or ``--dataset jailbreakv-28k`` (28,000). Per-category rates are per policy.

Not reproduced: the paper's judge. JailBreakV-28K scores answers with ``meta-llama/LlamaGuard-7b`` under a
custom 16-policy prompt (``evaluate_llamaguard_ours.py``, later ``evaluate_models/LlamaGuard.py``). The
GitHub repository ``EddyLuo1232/JailBreakV_28K`` could not be read from this project and only the
opening lines of those files were readable in the dataset repository, so the prompt's exact text is not
confirmed and no Llama Guard v1 judge is offered; the default is a refusal-keyword judge. No published
number is recorded either: the paper's tables could not be read here, and the README leaderboard was
seen only in a third-party copy.
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
from reproductions.jailbreakv.dataset import HF_DATASET

ATTACK = Source(f"huggingface.co/datasets/{HF_DATASET}", "8b490aad74832261dd1a2b191e0ea3555424f483", "attack.py")


class JailBreakVConfig(MethodConfig):
    """The CSV column sent as the text (``jailbreak_query``, as the authors' attack script sends it)."""

    text_field: str = sourced(
        "jailbreak_query",
        ATTACK.at("batch_query_text = query_df['jailbreak_query']; image os.path.join(root, image_path)"),
        note="read in the dataset repository's attack.py (v0.2); 'redteam_query' asks the bare harmful query",
        min_length=1,
    )


DEVIATIONS = (
    Deviation(
        "judge: a refusal-keyword judge instead of JailBreakV-28K's Llama Guard (7B) with its 16-policy prompt",
        "the authors' evaluation script could not be read at a pinned commit, so its prompt is not confirmed",
    ),
    Deviation(
        "decoding comes from the run (greedy, --max-new-tokens)",
        "the generation settings of the authors' Bunny wrapper (attack_models/Bunny.py) could not be read",
    ),
    Deviation(
        "the chat template comes from the model's own processor, the image first in the user turn",
        "each of the paper's model wrappers formats its own prompt",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["jailbreak_query"],
    paper="luo2024jailbreakv",
    version=1,
    dataset="jailbreakv-28k-mini",
    judges=["refusal-gcg-advbench-29"],
    deviations=DEVIATIONS,
)
class JailBreakV(Method[JailBreakVConfig]):
    """JailBreakV-28K: each case's jailbreak query with its image, as the authors' attack script sends them."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The case's jailbreak query, unchanged, with its image."""
        meta = {"format": sample.fields.get("format", ""), "from": sample.fields.get("from", "")}
        return as_it_is(sample, self.settings.text_field, "jailbreakv-28k-mini", **meta)
