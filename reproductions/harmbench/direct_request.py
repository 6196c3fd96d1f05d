"""HarmBench's MultiModalDirectRequest (Mazeika et al., 2024, arXiv 2402.04249): each behavior asked as it is.

The test case is the behavior's text with one trailing space and the behavior's image, scaled to fit the
model profile's canvas and center-cropped to it (the short side padded with black), exactly the canvas
step of :mod:`reproductions.harmbench.render_text` with nothing drawn on it. HarmBench scores the answers
with its multimodal classifier (``--judge harmbench-cls-multimodal``), per behavior, averaged over behaviors.

Source: centerforaisafety/HarmBench at ``8e1604d1`` (the merge of PR #63 by the authors), read through the
fork Bob-cheng/HB_RedTeam that holds that commit: ``baselines/multimodaldirectrequest/multimodaldirectrequest.py``
L55-80 and ``configs/method_configs/MultiModalDirectRequest_config.yaml`` L4-18. No published number of this
baseline could be read here (the paper's tables were not available), so none is recorded.
"""

from __future__ import annotations

from lvlmkb.eval import (
    CraftedInput,
    Deviation,
    ImageInput,
    Method,
    MethodConfig,
    Sample,
    Source,
    UsageError,
    benchmark,
    open_rgb,
    sourced,
)
from reproductions.harmbench.render_text import PROFILES, Profile, fit_to_canvas

REPO, COMMIT = "centerforaisafety/HarmBench", "8e1604d1171fe8a48d8febecd22f600e462bdcdd"
CODE = "baselines/multimodaldirectrequest/multimodaldirectrequest.py"
CONFIG = "configs/method_configs/MultiModalDirectRequest_config.yaml"


class DirectRequestConfig(MethodConfig):
    """The model profile, which picks the canvas the behavior image is fitted to."""

    profile: Profile = sourced(
        "llava_v1_5",
        Source(REPO, COMMIT, CONFIG, "L4-18: llava_v1_5 336, instructblip 224, qwen_vl_chat 448, gpt4v 224"),
        note="lvlmkb's default: the profile of LLaVA-1.5, the open model HarmBench evaluated; pick your model's",
    )
    trailing_space: bool = sourced(True, Source(REPO, COMMIT, CODE, "L61 behavior += ' '"))


DEVIATIONS = (
    Deviation(
        "the default judge is a refusal-keyword list; HarmBench's own is --judge harmbench-cls-multimodal",
        "its 13B classifier is a download a default run should not need; pass it for HarmBench's protocol "
        "(its answers clipped to 512 classifier tokens, evaluate_completions.py)",
    ),
    Deviation(
        "every behavior of --data is asked, one answer each, with the run's decoding",
        "HarmBench generates greedily with max_new_tokens 512 (run_pipeline.py), lvlmkb's default length too",
    ),
    Deviation(
        "the chat template comes from the model's own processor",
        "HarmBench's LLaVA wrapper formats '<image>\\nUSER: {prompt}\\nASSISTANT:' itself",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    needs=["behavior"],
    paper="mazeika2024harmbench",
    version=1,
    dataset="harmbench-mm",
    judges=["refusal-gcg-advbench-29"],
    deviations=DEVIATIONS,
)
class DirectRequest(Method[DirectRequestConfig]):
    """HarmBench's multimodal DirectRequest baseline: the behavior and its image, unchanged but for the canvas."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The behavior text (with HarmBench's trailing space) and its image fitted to the profile's canvas."""
        if sample.image is None:
            raise UsageError(f"behavior {sample.id} has no image", "use --dataset harmbench-mm")
        geometry = PROFILES[self.settings.profile]
        canvas = fit_to_canvas(open_rgb(sample.image, "behavior image"), geometry.width, geometry.height)
        text = sample.fields["behavior"] + (" " if self.settings.trailing_space else "")
        return CraftedInput(
            sample.id, sample.category, text, (ImageInput.from_pil(canvas),), {"profile": self.settings.profile}
        )

    def setting(self) -> str:
        """Reported as HarmBench's DirectRequest."""
        return "DirectRequest"
