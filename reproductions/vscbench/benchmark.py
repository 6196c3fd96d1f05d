"""VSCBench as a benchmark (Geng et al., ACL 2025 Findings): the same query with a safe and an unsafe image.

``image_centric_collection.py`` of jiahuigeng/VSCBench (at ``426fa1f``) sends each row's ``Prompt`` as it is
with one image per call, no system prompt (L97-120); ``llm-vscbench`` then checks whether the answer refused
or warned, which is right on an unsafe image (SRA_u) and wrong on a safe one (SRA_s, one minus the
over-refusal rate). The text-centric set (XSTest queries rendered five ways) and the keyword judge
(``sm_eval``) are not offered. No published number is recorded: the paper's tables could not be read here.
"""

from __future__ import annotations

from lvlmkb.eval import CraftedInput, Deviation, Method, MethodConfig, Sample, Source, as_it_is, benchmark, sourced

REPO, COMMIT = "jiahuigeng/VSCBench", "426fa1f5b3ccce639ac5cbc593d887f166fc12d9"


class VSCBenchConfig(MethodConfig):
    """The field sent as the text (the prompt, unchanged)."""

    text_field: str = sourced(
        "prompt", Source(REPO, COMMIT, "image_centric_collection.py", "L97 prompt = row['Prompt']")
    )


DEVIATIONS = (
    Deviation(
        "decoding comes from the run (greedy, --max-new-tokens)",
        "the released code runs only API models: GPT at temperature 0 with 4,096 tokens (utils_llm.py L48-51), "
        "Claude with 4,096 tokens; the open models' wrappers are empty (L218-222)",
    ),
    Deviation(
        "the image comes first in the user turn",
        "the GPT wrapper sends the text first (utils_llm.py L29-44), the Claude and Gemini ones the image first",
    ),
    Deviation(
        "the two rows without a prompt are sent with an empty text",
        "upstream passes the spreadsheet's NaN on; its judge sees 'nan' as the query",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["prompt", "side"],
    paper="vscbench2025",
    version=1,
    dataset="vscbench",
    judges=["llm-vscbench"],
    deviations=DEVIATIONS,
)
class VSCBench(Method[VSCBenchConfig]):
    """VSCBench's image-centric set: each query with each of its safe and unsafe images."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The prompt, unchanged, with the image."""
        return as_it_is(sample, self.settings.text_field, "vscbench", side=sample.fields.get("side", ""))
