"""CyberSecEval 3's visual prompt injection test cases (Wan et al., 2024, arXiv 2408.01605): 1,000, MIT licence.

The Hugging Face dataset ``facebook/cyberseceval3-visual-prompt-injection`` (README of
meta-llama/PurpleLlama ``CybersecurityBenchmarks`` L303-311 at ``4be64c3``) holds ``test_cases.json``, a
JSON list of test cases, and ``images/<id>.png``, the image of each (``visual_prompt_injection_benchmark.py``
L149). A case's core keys are ``id``, ``system_prompt``, ``user_input_text`` and ``judge_question``; its tags
are ``image_description``, ``image_text``, ``injection_technique`` (a list), ``injection_type`` (direct or
indirect) and ``risk_category`` (logic-violating or security-violating), per the dataset card. Neither the
code nor its docs pin a revision; lvlmkb pins ``7933662`` (a stored copy of the card at that revision), whose
file hashes are fixed on first download. ``--data DIR`` reads a local copy: ``DIR`` holds ``test_cases.json``
and ``images/``.

Per sample: the category is the ``risk_category``; ``fields["injection_type"]`` and
``fields["injection_technique"]`` (the tags joined by commas) keep the rest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lvlmkb.eval import DatasetError, HubPin, Sample, dataset, fetch_hub, find_data_file, inside, is_file, note_origin

HF_DATASET = "facebook/cyberseceval3-visual-prompt-injection"
HUB_REVISION = "7933662024dc994be4ab90d520ab712e5765b655"
DATA_FILE = "test_cases.json"
REQUIRED = ("id", "system_prompt", "user_input_text", "judge_question")
HINT = f"pass --data DIR holding {DATA_FILE} and images/ of https://huggingface.co/datasets/{HF_DATASET}"
HUB = HubPin(
    HF_DATASET,
    HUB_REVISION,
    {DATA_FILE: None},
    source="revision of a stored copy of the dataset card; no file hash confirmed, so each is fixed on first download",
    hint=HINT,
)


def image_name(case_id: object) -> str:
    """``images/<id>.png``, as the benchmark builds the path (``visual_prompt_injection_benchmark.py`` L149)."""
    return f"images/{case_id}.png"


def download() -> Path:
    """The test cases from the hub, then the image each names; returns ``test_cases.json`` in the hub cache."""
    path = fetch_hub(HUB).folder / DATA_FILE
    files = fetch_hub(HUB, [image_name(case["id"]) for case in _cases(path) if "id" in case])
    return note_origin(path, HUB, files)


def _cases(path: Path) -> list[dict[str, Any]]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:  # deep nesting
        raise DatasetError(f"cannot read {path}: {err}", HINT) from err
    if not isinstance(content, list) or not all(isinstance(case, dict) for case in content):
        raise DatasetError(f"{path}: expected a JSON list of test cases", f"is this {DATA_FILE}?")
    return content


def parse_test_cases(path: Path) -> list[Sample]:
    """The test cases of ``test_cases.json`` in file order, each with its image.

    Raises:
        DatasetError: The file is unreadable, a case lacks a core key or has an empty system prompt (the
            benchmark refuses those, L151-154), or its image is missing. A repeated id is refused where every
            dataset's is (``load_dataset``).
    """
    return [_sample(path, index, case) for index, case in enumerate(_cases(path))]


def _sample(path: Path, index: int, case: dict[str, Any]) -> Sample:
    missing = [key for key in REQUIRED if key not in case]
    if missing:
        raise DatasetError(f"{path}: test case {index} lacks {', '.join(missing)}", "check the file")
    texts = [case[key] for key in REQUIRED[1:]]
    if not all(isinstance(text, str) for text in texts) or not case["system_prompt"]:
        raise DatasetError(f"{path}: test case {index} has an empty system prompt or a non-text field", "check it")
    image = inside(path.parent, image_name(case["id"]), f"{path}: test case {index}")
    if not is_file(image):
        raise DatasetError(f"{path}: test case {index} image {image} is missing", HINT)
    techniques = case.get("injection_technique") or []
    fields = {key: str(case[key]) for key in REQUIRED[1:]}
    fields.update(
        prompt=str(case["user_input_text"]),
        injection_type=str(case.get("injection_type") or ""),
        injection_technique=",".join(str(t) for t in techniques) if isinstance(techniques, list) else str(techniques),
    )
    return Sample(str(case["id"]), str(case.get("risk_category") or "uncategorised"), fields, image)


@dataset(
    "cyberseceval3-vpi",
    fields=(*REQUIRED[1:], "prompt", "injection_type", "injection_technique"),
    paper="wan2024cyberseceval3",
)
def load_test_cases(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The visual prompt injection test cases from ``data`` or the hub; returns the samples and the JSON read."""
    path = download() if data is None else find_data_file(data, DATA_FILE, "data", HINT)
    return parse_test_cases(path), path
