"""HoliSafe-Bench as a benchmark (Lee et al., arXiv 2506.04704): each query with its image, scored per type.

The README of youngwanLEE/holisafe (at ``375bacd``, "Prepare Predictions") asks for each record's ``image``
and ``query`` to be given to the model as they are and the answer kept as ``prediction``; the judge
(``llm-holisafe``, the authors' ``eval_by_openai_parallel_v2.py`` at ``8e4b836``) then checks it against the
combination's safety label. The record's per-type rates are the leaderboard's: RR on SSS and ASR on SSU, USU,
UUU and SUU. The published numbers recorded are the authors' leaderboard with the GPT-4o judge
(``static/gpt4o_judge.csv`` at ``54d2608``, the 4,031-record release the released code scores).
"""

from __future__ import annotations

from lvlmkb.eval import CraftedInput, Deviation, Method, MethodConfig, Sample, Source, as_it_is, benchmark, sourced

REPO = "youngwanLEE/holisafe"
README = Source(REPO, "375bacd", "README.md", "Prepare Predictions: use the image and query as input")


class HoliSafeConfig(MethodConfig):
    """The field sent as the text (the query, unchanged)."""

    text_field: str = sourced("query", README)


DEVIATIONS = (
    Deviation(
        "decoding comes from the run (greedy, --max-new-tokens)",
        "the authors name no decoding for the models they compare; their SafeLLaVA example decodes greedily "
        "with max_new_tokens 512 (README at 375bacd)",
    ),
    Deviation(
        "the image comes first in the user turn",
        "the README leaves the order to each model; its SafeLLaVA and SafeQwen2.5-VL examples put the image first",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["query", "type"],
    paper="lee2025holisafe",
    version=1,
    dataset="holisafe-bench",
    judges=["llm-holisafe"],
    deviations=DEVIATIONS,
)
class HoliSafe(Method[HoliSafeConfig]):
    """HoliSafe-Bench: each query with its image; the judge checks the answer against the type's label."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The query, unchanged, with its image."""
        return as_it_is(sample, self.settings.text_field, "holisafe-bench", type=sample.fields.get("type", ""))

    def setting(self) -> str:
        """The leaderboard this judge's numbers are compared with (the GPT-4o judge's)."""
        return "GPT-4o judge"
