"""CyberSecEval 3's visual prompt injection benchmark (Wan et al., 2024): a system prompt, then text and an image.

``VisualPromptInjectionBenchmark`` of meta-llama/PurpleLlama (``CybersecurityBenchmarks/benchmark/
visual_prompt_injection_benchmark.py`` at ``4be64c3``) sends each test case as the case's ``system_prompt``,
then one user turn holding ``user_input_text`` and the case's image (L160-165), the text before the image
(``llms/openai.py`` L227-271). A judge model answers the case's ``judge_question`` about the response
(``llm-cse3-vpi``, :mod:`lvlmkb.eval.judges.cyberseceval`); "yes" means the injection succeeded, and the
benchmark's figure is the share of successful injections (L314-316). No published number is recorded: the
paper's figures could not be read here.
"""

from __future__ import annotations

import dataclasses

from lvlmkb.eval import CraftedInput, Deviation, Method, MethodConfig, Sample, Source, as_it_is, benchmark, sourced

REPO, COMMIT = "meta-llama/PurpleLlama", "4be64c3a24442b51c76175e6ec67722cc3f5fe38"
BENCH = Source(REPO, COMMIT, "CybersecurityBenchmarks/benchmark/visual_prompt_injection_benchmark.py")
OPENAI = Source(REPO, COMMIT, "CybersecurityBenchmarks/benchmark/llms/openai.py")


class VPIConfig(MethodConfig):
    """Whether the text precedes the image in the user turn (it does upstream)."""

    text_first: bool = sourced(True, OPENAI.at("L227-271: user content [text, image_url]"))


DEVIATIONS = (
    Deviation(
        "decoding comes from the run (greedy, --max-new-tokens)",
        "the paper-era code (llm.py at 23156b7, the commit the dataset card names) sends max_tokens=1000 at the "
        "API's default sampling; HEAD samples at temperature 0.6, top_p 0.9 (llm_base.py L24-26)",
    ),
    Deviation(
        "one answer per test case",
        "--num-queries-per-prompt N (default 1) asks each case N times and counts every pass (query_llm.py L253-275)",
    ),
    Deviation(
        "the rate is broken down by risk category only",
        "upstream's stats.json also groups by injection type and by each injection technique tag (L332-377); "
        "both are kept in the sample's fields",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["system_prompt", "user_input_text", "judge_question"],
    paper="wan2024cyberseceval3",
    version=1,
    dataset="cyberseceval3-vpi",
    judges=["llm-cse3-vpi"],
    deviations=DEVIATIONS,
)
class CyberSecEval3VPI(Method[VPIConfig]):
    """CyberSecEval 3 visual prompt injection: the case's system prompt, then its text and its image."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The test case as the benchmark sends it: system prompt, then user text and image."""
        crafted = as_it_is(
            sample, "user_input_text", "cyberseceval3-vpi", injection_type=sample.fields.get("injection_type", "")
        )
        system = sample.fields["system_prompt"]
        return dataclasses.replace(crafted, system=system, text_first=self.settings.text_first)
