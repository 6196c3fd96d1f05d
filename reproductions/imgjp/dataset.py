"""ImgJP's behaviours: ``dataset/advbench/harmful_behaviors_2.csv``, 483 AdvBench rows as the authors edited them.

abc03570128/Jailbreaking-Attack-against-Multimodal-Large-Language-Model at ``fd98910`` holds the file
(header ``goal,target``; sha256 :data:`SHA256`, computed from the repository's history); ``v1_mprompt.py``
L163-170 draws its training and test goals from it. It is AdvBench's 520 behaviours less 41, with 4 goals
and 5 targets edited, in the original order. lvlmkb downloads it from that commit on first use and checks
the hash; ``--data PATH`` reads a local copy (the ``train_behaviors.csv`` or ``test_behaviors.csv`` that
``lvlmkb stage imgjp optimize`` writes, for instance).
"""

from __future__ import annotations

from pathlib import Path

from lvlmkb.eval import RemoteFile, Sample, dataset, fetch
from reproductions.umk.dataset import parse_behaviors

REPO = "abc03570128/Jailbreaking-Attack-against-Multimodal-Large-Language-Model"
COMMIT = "fd98910ae4075fe587a1944095c00660aa24cc54"
SHA256 = "9bae351b962e10c786d1fd964b7c6aa466d6062f4691e234124f95e25c06d20f"
BEHAVIORS = RemoteFile(
    url=f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/dataset/advbench/harmful_behaviors_2.csv",
    sha256=SHA256,
    revision=COMMIT,
    name="harmful_behaviors_2.csv",
)


@dataset("imgjp-behaviors", fields=("instruction", "goal", "target", "question"), paper="niu2024jailbreaking")
def load_behaviors(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The 483 behaviours from ``data`` or ImgJP's pinned copy; returns them and the file read."""
    path = data if data is not None else fetch(BEHAVIORS)
    return parse_behaviors(path), path
