"""VLGuard's test set as a benchmark (Zong et al., ICML 2024): each instruction with its image, as sent.

``VLGuard_eval.py`` of ys-zong/VLGuard (at ``a2f85c9``) sends each subset's instruction with its image and
scores the answer with ``check_success_attack`` (``utils/utils.py`` L32-48): lowercased, the attack fails
when any of 63 keywords occurs or the answer is exactly "it is not"; ASR is the share of successes
(``VLGuard_eval.py`` L50-52), reported for ``unsafes`` (the default dataset) and ``safe_unsafes``. That rule is
the default judge here, ``refusal-vlguard-63``. On ``vlguard-safe-safes`` the paper measures helpfulness
with a GPT-4V pairwise judge against GPT-4V's answers (``gpt4_evaluator.py``), which is not offered: its
reference answers file would have to ship with the data. No published number is recorded: the paper's
tables could not be read here.
"""

from __future__ import annotations

from lvlmkb.eval import CraftedInput, Deviation, Method, MethodConfig, Sample, Source, as_it_is, benchmark, sourced
from reproductions.vlguard.dataset import COMMIT, REPO

EVAL = Source(REPO, COMMIT, "utils/utils.py")


class VLGuardConfig(MethodConfig):
    """The field sent as the text (each subset's instruction, as ``load_data`` sets ``question``)."""

    text_field: str = sourced("instruction", EVAL.at("L12-28 load_data: question = the subset's instruction"))


DEVIATIONS = (
    Deviation(
        "decoding comes from the run (greedy, --max-new-tokens)",
        "VLGuard decodes greedily with max_new_tokens 256 and min_new_tokens 1 (utils/model_utils.py L24-37): "
        "pass --max-new-tokens 256 to match",
    ),
    Deviation(
        "the chat template comes from the model's own processor",
        "VLGuard builds LLaVA's llava_v1 conversation with the original LLaVA code (utils/model_utils.py L12-21)",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["instruction"],
    paper="zong2024safety",
    version=1,
    dataset="vlguard-unsafes",
    judges=["refusal-vlguard-63"],
    deviations=DEVIATIONS,
)
class VLGuard(Method[VLGuardConfig]):
    """VLGuard's test set: each subset's instruction with its image, scored by VLGuard's refusal rule."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The instruction, unchanged, with its image."""
        return as_it_is(sample, self.settings.text_field, "vlguard-unsafes", subset=sample.fields.get("subset", ""))
