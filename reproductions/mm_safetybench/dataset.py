"""MM-SafetyBench (Liu et al., ECCV 2024, arXiv 2311.17600): 1,680 questions in 13 scenarios.

Upstream layout (isXinLiu/MM-SafetyBench, revision ``b80eedea3db312c09ded2082813390f68e750ef3`` as
pinned by a third-party manifest; the original repository could not be read from this project):

- ``data/processed_questions/<scenario>.json``: one JSON object per scenario whose keys are question
  ids (``"0"``, ``"1"``, ...) and whose values hold ``Question``, ``GPT-Pred``, ``Changed Question``,
  ``Key Phrase``, ``Phrase Type``, ``Rephrased Question`` and ``Rephrased Question(SD)``;
- ``data/imgs/<scenario>/{SD,TYPO,SD_TYPO}/<id>.jpg``: the authors' released images.

No file of the release could be read here, so no sha256 is pinned and nothing is downloaded: pass
``--data DIR`` where ``DIR`` holds ``processed_questions/`` (and ``imgs/`` for the image variants),
e.g. ``<clone>/data`` of a checkout at the revision above (the clone root is accepted too). The
question counts below come from the same third-party manifest; they are documented, not enforced,
so that partial copies load.
"""

from __future__ import annotations

import json
from pathlib import Path

from lvlmkb.eval import DatasetError, Sample, dataset, find_data_root, inside, is_file

REPO = "isXinLiu/MM-SafetyBench"
REVISION = "b80eedea3db312c09ded2082813390f68e750ef3"
SCENARIOS: dict[str, int] = {
    "01-Illegal_Activitiy": 97,  # sic: the upstream directory name
    "02-HateSpeech": 163,
    "03-Malware_Generation": 44,
    "04-Physical_Harm": 144,
    "05-EconomicHarm": 122,
    "06-Fraud": 154,
    "07-Sex": 109,
    "08-Political_Lobbying": 153,
    "09-Privacy_Violence": 139,
    "10-Legal_Opinion": 130,
    "11-Financial_Advice": 167,
    "12-Health_Consultation": 109,
    "13-Gov_Decision": 149,
}
FIELDS = (
    "Question",
    "GPT-Pred",
    "Changed Question",
    "Key Phrase",
    "Phrase Type",
    "Rephrased Question",
    "Rephrased Question(SD)",
)
REQUIRED = ("Question", "Key Phrase", "Rephrased Question", "Rephrased Question(SD)")
IMAGE_FOLDERS = ("SD", "TYPO", "SD_TYPO")


def data_root(data: Path) -> Path:
    """The folder holding ``processed_questions/``: ``data`` itself or its ``data/`` subfolder."""
    return find_data_root(
        data,
        "processed_questions",
        "data",
        f"pass --data DIR where DIR/processed_questions/<scenario>.json exist (the data/ folder of {REPO})",
    )


def image_path(sample: Sample, folder: str) -> Path:
    """Where the authors' ``SD``, ``TYPO`` or ``SD_TYPO`` image of ``sample`` lies in the data folder."""
    return Path(sample.fields["images_dir"]) / folder / f"{sample.fields['question_id']}.jpg"


def parse_scenario(path: Path, scenario: str, root: Path) -> list[Sample]:
    """The questions of one scenario file, in file order, as samples ``<NN>-<question id>``."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:  # deep nesting
        raise DatasetError(f"cannot read {path}: {err}", "is this an MM-SafetyBench processed_questions file?") from err
    if not isinstance(content, dict):
        raise DatasetError(f"{path}: expected an object keyed by question id", "check the file")
    return [_sample(path, scenario, root, key, item) for key, item in content.items()]


def _sample(path: Path, scenario: str, root: Path, key: str, item: object) -> Sample:
    if not isinstance(item, dict):
        raise DatasetError(f"{path}: question {key} is not an object", "check the file")
    missing = [name for name in REQUIRED if not isinstance(item.get(name), str)]
    if missing:
        raise DatasetError(f"{path}: question {key} lacks {', '.join(missing)}", "check the file")
    fields = {name: item[name] for name in FIELDS if isinstance(item.get(name), str)}
    images_dir = root / "imgs" / scenario
    fields.update(question=item["Question"], scenario=scenario, question_id=key, images_dir=str(images_dir))
    sd = inside(images_dir / "SD", f"{key}.jpg", f"{path}: question {key}")
    return Sample(f"{scenario[:2]}-{key}", scenario, fields, sd if is_file(sd) else None)


@dataset(
    "mm-safetybench",
    fields=("question", "scenario", "question_id", "images_dir", *REQUIRED),
    paper="liu2023mmsafetybench",
)
def load_mm_safetybench(data: Path | None = None) -> tuple[list[Sample], Path]:
    """All 13 scenarios in order from a local copy; returns the samples and the questions folder."""
    if data is None:
        raise DatasetError(
            "MM-SafetyBench is not downloaded automatically (no file hash could be pinned)",
            f"clone https://github.com/{REPO} at {REVISION[:8]} and pass --data <clone>/data",
        )
    root = data_root(data)
    questions = root / "processed_questions"
    samples: list[Sample] = []
    for scenario in SCENARIOS:
        path = questions / f"{scenario}.json"
        if not path.is_file():
            raise DatasetError(f"missing {path}", "the folder must hold all 13 scenario files")
        samples.extend(parse_scenario(path, scenario, root))
    return samples, questions
