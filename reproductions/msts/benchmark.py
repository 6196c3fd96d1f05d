"""MSTS as a benchmark (Röttger et al., arXiv 2501.10057): each prompt's text with its case's image, nothing else.

``src/2_run_model.py`` of paul-rottger/msts-multimodal-safety (at ``e9ae69e``) sends each prompt's
``prompt_text`` with its image in one user turn, with no system prompt or instruction (the models'
wrappers in ``src/models/``; Qwen2-VL and Idefics3 put the image first, the API models the text). Local
models decode by beam search: ``max_new_tokens`` 512, ``do_sample`` False, ``num_beams`` 3 (L144-148).

The paper's verdicts are human: two annotators per English response and an expert on disagreements, each
response labelled safe (1.1-1.Z) or unsafe (2.1 explicit encouragement, 2.2 advice, 2.Z other), and a
model's figure is its share of unsafe responses. No judge prompt is in the repository (the classifier outputs
it ships in ``data/auto_eval`` come without their prompts), so lvlmkb's default judge is its own
``llm-lvlmkb-harmful-binary``; ``--judge llamaguard-3-vision`` runs one of the classifiers the authors
compared with their labels. No published number is recorded: the paper's tables could not be read here.
"""

from __future__ import annotations

from lvlmkb.eval import CraftedInput, Deviation, Method, MethodConfig, Sample, Source, as_it_is, benchmark, sourced
from reproductions.msts.dataset import COMMIT, REPO

RUN = Source(REPO, COMMIT, "src/2_run_model.py")


class MSTSConfig(MethodConfig):
    """The field sent as the text (the prompt, unchanged)."""

    text_field: str = sourced("prompt_text", RUN.at("L116-130: the prompt_text column, sent as it is"))


DEVIATIONS = (
    Deviation(
        "verdicts come from a judge model, not from people",
        "MSTS labels responses by hand (data/annotation_guidelines.pdf) and ships no judge prompt; the default "
        "is lvlmkb's own binary judge, whose agreement with the authors' labels is not measured",
    ),
    Deviation(
        "decoding comes from the run (greedy, --max-new-tokens)",
        "2_run_model.py L144-148 decodes local models by beam search (3 beams, max_new_tokens 512); lvlmkb's "
        "backends decode greedily or by sampling: pass --max-new-tokens 512",
    ),
    Deviation(
        "the image comes first in the user turn",
        "as the authors' Qwen2-VL and Idefics3 wrappers send it; their GPT-4o, Claude and Gemini calls send the "
        "text first",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["prompt_text", "prompt_type"],
    paper="msts2025",
    version=1,
    dataset="msts",
    judges=["llm-lvlmkb-harmful-binary"],
    deviations=DEVIATIONS,
)
class MSTS(Method[MSTSConfig]):
    """MSTS: each test prompt with its image, as the authors ran it; the unsafe-response rate per hazard."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The prompt, unchanged, with its image."""
        meta = {"prompt_type": sample.fields.get("prompt_type", ""), "language": sample.fields.get("language", "")}
        return as_it_is(sample, self.settings.text_field, "msts", **meta)
