"""MML, multi-modal linkage (Wang et al., arXiv 2412.00473): an encrypted harmful request and a game prompt.

The request is written into an image that is then "encrypted" (its words replaced, the image mirrored,
rotated by 180 degrees, or its text Base64-encoded), and a villain's-lair game prompt asks the model to
decrypt it, guided by the request's words in shuffled order, and to fill in the "Content" of the screen.
The prompts are the authors' (:mod:`reproductions.mml.prompts`); the images are their released ones: the
code that built them is not in the repository (wangyu-ovo/MML at ``5966fca`` holds ``attack.py``,
``const.py``, ``utils.py`` and ``eval.py`` only), so lvlmkb does not draw them and reads them from
``--data`` (:mod:`reproductions.mml.dataset`). MML scores answers with ``--judge llm-mml-score``.
"""

from __future__ import annotations

import json
import random
from typing import Literal

from lvlmkb.eval import (
    CraftedInput,
    DatasetError,
    Deviation,
    Method,
    MethodConfig,
    Sample,
    Source,
    attack,
    folder_image,
    sourced,
)
from reproductions.mml.dataset import COMMIT, REPO
from reproductions.mml.prompts import PROMPTS

ATTACK = Source(REPO, COMMIT, "attack.py")
CONST = Source(REPO, COMMIT, "const.py")


class MMLConfig(MethodConfig):
    """The encryption variant (which prompt and which released images), the image file type and the seed."""

    variant: Literal["wr", "mirror", "rotate", "base64"] = sourced(
        "mirror",
        ATTACK.at("L41 --image-format default images_mirror; L12-17 the four MML formats"),
        note="wr: word replacement, mirror, rotate (180 degrees), base64: the images_<variant> folder",
    )
    image_extension: Literal["png", "jpg"] = sourced(
        "png", ATTACK.at("L52-58: .png, except .jpg for every HADES format"), note="jpg for the HADES release"
    )
    seed: int = sourced(
        0,
        ATTACK.at("L20-23 random_shuffle_sentence: random.shuffle, never seeded"),
        note="lvlmkb's choice: the words of each sample are shuffled with Random(f'{seed}:{sample id}')",
    )


def shuffled_words(sentence: str, seed: int, sample_id: str) -> list[str]:
    """``random_shuffle_sentence``: the whitespace-split words in a shuffled order (seeded here)."""
    words = sentence.split()
    random.Random(f"{seed}:{sample_id}").shuffle(words)  # noqa: S311 (a reproducible order, not a secret)
    return words


DEVIATIONS = (
    Deviation(
        "the shuffled word order is seeded per sample",
        "attack.py shuffles with the unseeded random module, so its word lists cannot be reproduced",
    ),
    Deviation(
        "one answer per sample with the run's decoding (greedy by default)",
        "attack.py asks up to 5 times at temperature 0.7 (max_tokens 2000, utils.py L62-63) and keeps the best "
        "score, so its ASR counts an item that succeeds in any of five tries",
    ),
    Deviation(
        "judge: a refusal-keyword judge by default instead of MML's gpt-4o-mini score",
        "the score judge needs a judge model: pass --judge llm-mml-score --judge-model ALIAS for its protocol",
    ),
    Deviation(
        "the image comes first in the user turn",
        "utils.py sends the prompt text, then the image; lvlmkb's runner puts images first",
    ),
    Deviation(
        "the images are read from the release, never drawn",
        "the code that encrypted them is not published; third-party ports (OpenRT) use other fonts and rules",
    ),
)
"""How this reproduction differs from the original, and why."""


@attack(
    needs=["original_prompt", "item_id", "folder"],
    paper="wang2024mml",
    version=1,
    dataset="mml",
    judges=["refusal-gcg-advbench-29"],
    deviations=DEVIATIONS,
)
class MML(Method[MMLConfig]):
    """MML: the released encrypted image of a request, with the authors' game prompt for its variant."""

    def craft(self, sample: Sample) -> CraftedInput:
        """The variant's prompt filled as attack.py fills it, with the released image of that variant."""
        c = self.settings
        words = shuffled_words(sample.fields["original_prompt"], c.seed, sample.id)
        if c.variant == "wr":
            if not sample.fields.get("replace_map"):
                raise DatasetError(f"sample {sample.id} has no replace_map", "word replacement needs MML's data.json")
            prompt = PROMPTS["wr"].format(json.loads(sample.fields["replace_map"]), words)
        else:
            prompt = PROMPTS[c.variant].format(words)
        name = f"images_{c.variant}/{sample.fields['item_id']}.{c.image_extension}"
        image = folder_image(sample, name, "MML image")
        return CraftedInput(sample.id, sample.category, prompt, (image,), {"variant": c.variant})

    def setting(self) -> str:
        """The variant, as the KB's MML results name it (wr, mirror, rotate, base64)."""
        return self.settings.variant
