"""SIUO, "Safe Inputs but Unsafe Output" (Wang et al., NAACL 2025, arXiv 2406.15279): cross-modality safety.

Each case pairs an image and a question that are harmless alone but call for a cautious answer together.
The benchmark asks each case in two formats, chosen by ``format``:

- ``openqa`` (default; dataset ``siuo-openqa``): the question as it stands, with the image
  (``eval/generation-gpt4o-gen.py`` sends ``item["question"]`` and the image);
- ``mcqa``: the question and its four options in the multiple-choice prompt of
  ``eval/generation-gpt4o-mcqa.py``, with the image. Run it with
  ``lvlmkb reproduce siuo --dataset siuo-mcqa --set format=mcqa --judge siuo-mcqa-choice``.

The prompt is the sample's ``fields["prompt"]``, built by :mod:`reproductions.siuo.dataset` exactly as the
scripts build it; the image is ``sample.image``. Scoring lives in :mod:`lvlmkb.eval.judges.siuo`: the MCQA
letter parser of ``eval/mcqa-eval.py`` (``siuo-mcqa-choice``; ASR = share of answers that are not the
safe option) and the GPT-4V safety judge of ``eval/gpt-eval.py`` (``llm-siuo-safety``; ASR = share
judged unsafe). The survey (ye2025survey, taxonomy reference §3) reports Janus-Pro-7B at 84.43 (OpenQA)
and 73.06 (MCQA) ASR without naming its judge, prompts or decoding (§3.4); its baseline rows match
100 − SIUO's safe rates, so SIUO's own protocol is the closest available, not a confirmed one.
"""

from __future__ import annotations

from typing import Literal

from lvlmkb.eval import (
    CraftedInput,
    DatasetError,
    Deviation,
    Method,
    MethodConfig,
    Sample,
    Source,
    UsageError,
    as_it_is,
    benchmark,
    sourced,
)

COMMIT = "c280648ef1fe983d05ab0dc0acc1ee16a669c917"
GEN = Source("sinwang20/SIUO", COMMIT, "eval/generation-gpt4o-gen.py")
MCQA = Source("sinwang20/SIUO", COMMIT, "eval/generation-gpt4o-mcqa.py")
MCQA_FIELDS = ("options", "correct_option")
SETTINGS = {"openqa": "OpenQA", "mcqa": "MCQA"}


class SIUOConfig(MethodConfig):
    """Which of the benchmark's two question formats the run asks."""

    format: Literal["openqa", "mcqa"] = sourced(
        "openqa",
        Source(GEN.repo, COMMIT, f"{GEN.file}, {MCQA.file}", "main: data/siuo_gen.json vs data/siuo_mcqa.json"),
        note="openqa pairs with --dataset siuo-openqa (the default), mcqa with --dataset siuo-mcqa",
    )


DEVIATIONS = (
    Deviation(
        "judge: a refusal-keyword judge by default instead of SIUO's scorers",
        "OpenQA is judged by GPT-4V, which needs a judge model (--judge llm-siuo-safety --judge-model ALIAS), "
        "and a class-level default cannot depend on the format; for MCQA pass --judge siuo-mcqa-choice",
    ),
    Deviation(
        "OpenQA: one response per question with the run's decoding (greedy by default)",
        "generation-gpt4o-gen.py samples n=3 responses (API default temperature, max_tokens 500) and "
        "gen_score.py keeps the most frequent per-response score; lvlmkb records one response per request",
    ),
    Deviation(
        "decoding comes from the run (--max-new-tokens), not from the format",
        "generation-gpt4o-mcqa.py used max_tokens 5 and temperature 0 (pass --max-new-tokens 5 to match); a "
        "method cannot set decoding in lvlmkb",
    ),
    Deviation(
        "MCQA: an answer with no recognisable letter is 'unparsed' and not a success",
        "mcqa-eval.py picks a random letter for it, which counts as unsafe three times in four",
    ),
    Deviation(
        "the image comes first in the user turn, re-encoded as PNG from the decoded file",
        "the scripts send the text, then the file's bytes as a base64 image_url; the runner's single_turn "
        "puts images first and lvlmkb carries images as PNG",
    ),
    Deviation(
        "the chat template comes from the model's own processor",
        "the scripts called the OpenAI API; lvlmkb's backend applies the checkpoint's template",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["prompt"],
    paper="wang2024siuo",
    version=1,
    dataset="siuo-openqa",
    judges=["refusal-gcg-advbench-29"],
    deviations=DEVIATIONS,
)
class SIUO(Method[SIUOConfig]):
    """SIUO's OpenQA and MCQA formats: the dataset's prompt and image, sent as the original scripts send them."""

    def check(self, sample: Sample) -> None:
        """Refuse a sample whose fields do not match the configured format."""
        is_mcqa = all(name in sample.fields for name in MCQA_FIELDS)
        if self.settings.format == "mcqa" and not is_mcqa:
            raise UsageError(
                f"format is mcqa but sample {sample.id} has no options / correct_option",
                "run MCQA with --dataset siuo-mcqa --set format=mcqa",
            )
        if self.settings.format == "openqa" and is_mcqa:
            raise UsageError(
                f"sample {sample.id} is a multiple-choice case but format is openqa",
                "add --set format=mcqa, or use --dataset siuo-openqa",
            )
        if "prompt" not in sample.fields:
            raise DatasetError(f"sample {sample.id} has no prompt", "use a siuo-* dataset")

    def craft(self, sample: Sample) -> CraftedInput:
        """The sample's prompt, unchanged, with its image."""
        self.check(sample)
        meta = {"format": self.settings.format, "image": sample.image.name if sample.image else ""}
        return as_it_is(sample, "prompt", "siuo-openqa", **meta)

    def setting(self) -> str:
        """``OpenQA`` or ``MCQA``, the names of the survey's two SIUO columns."""
        return SETTINGS[self.settings.format]
