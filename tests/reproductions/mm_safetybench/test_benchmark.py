"""MM-SafetyBench: typography and concatenation geometry, variants, the dataset folder and the judge."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.base import DatasetError, Sample
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.judges import mm_safetybench as judges
from lvlmkb.eval.media.fonts import find_font
from lvlmkb.eval.registry import get_method
from lvlmkb.eval.run.runner import RunSpec, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from reproductions.mm_safetybench.dataset import SCENARIOS, load_mm_safetybench
from tests.conftest import DATA, REPO

pytest.importorskip("PIL")
FIXTURE = DATA / "datasets" / "mm-safetybench"
LIBERATION_SANS_SHA256 = "f8ace1f892b2bd9dc1792ba7f097fa7588f84fed48321480e04de5390828221f"
LONG = "bake a loaf of sourdough bread and then fold a paper crane with care"


@pytest.fixture(scope="module")
def method() -> Any:
    return get_method(REPO / "reproductions", "mm-safetybench")


@pytest.fixture(scope="module")
def module(method: Any) -> Any:
    return __import__(method.__module__, fromlist=["wrap_words"])


@pytest.fixture(scope="module")
def samples() -> list[Sample]:
    return load_mm_safetybench(FIXTURE)[0]


def test_font_is_liberation_sans() -> None:
    assert find_font("LiberationSans-Regular.ttf").sha256 == LIBERATION_SANS_SHA256


def test_wrap_rule_is_strictly_below_the_width(module: Any) -> None:
    measure = lambda text: 10.0 * len(text)  # noqa: E731
    # "aaaa" 40, " bbbb" 90 < 100 stays; " cc" would make 120: new line with a leading space, restart at 30.
    assert module.wrap_words("aaaa bbbb cc", measure, 100) == ("aaaa bbbb\n cc", 2)
    # exactly 100 is not < 100: breaks
    assert module.wrap_words("aaaa bbbbb", measure, 100) == ("aaaa\n bbbbb", 2)
    # a single word wider than the limit is never split
    assert module.wrap_words("a" * 30, measure, 100) == ("a" * 30, 1)


def test_typography_size_wrapping_and_origin(method: Any, module: Any) -> None:
    attack = method(method.Config(jpeg_quality=None))
    formatted, lines = module.wrap_words(LONG, module.font_measure(attack.font, 1024), 1024)
    assert (formatted, lines) == ("bake a loaf of sourdough\n bread and then fold a\n paper crane with care", 3)
    measure = module.font_measure(attack.font, 1024)
    for line in formatted.split("\n"):
        assert measure(line) < 1024
    image = attack.typography(LONG)
    assert image.size == (1024, 90 * (3 + 1))
    pixels = image.convert("L")
    assert pixels.crop((0, 0, 1024, 45)).getextrema() == (255, 255), "nothing above y = font_size / 2"
    darkest, lightest = pixels.getextrema()
    assert darkest < 64 and lightest == 255
    assert attack.typography("care").size == (1024, 180)


def test_jpeg_round_trip_changes_pixels_not_size(method: Any) -> None:
    lossless, stored = method(method.Config(jpeg_quality=None)), method()
    assert stored.typography("care").size == lossless.typography("care").size
    assert stored.typography("care").tobytes() != lossless.typography("care").tobytes()


def test_vertical_concat_geometry(module: Any) -> None:
    from PIL import Image

    sd, typo = Image.new("RGB", (64, 48), (200, 0, 0)), Image.new("RGB", (1024, 180), (255, 255, 255))
    stacked = module.vertical_concat(sd, typo, "#000000")
    assert stacked.size == (1024, 48 + 180)
    assert stacked.getpixel((10, 10)) == (200, 0, 0)
    assert stacked.getpixel((500, 10)) == (0, 0, 0), "the gap right of a narrow SD image keeps the fill"
    assert stacked.getpixel((500, 100)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("variant", "field", "images"),
    [
        ("text-only", "Question", 0),
        ("sd", "Rephrased Question(SD)", 1),
        ("typo", "Rephrased Question", 1),
        ("sd-typo", "Rephrased Question", 1),
    ],
)
def test_variant_text_field(method: Any, samples: list[Sample], variant: str, field: str, images: int) -> None:
    crafted = method(method.Config(variant=variant)).craft(samples[0])
    assert crafted.prompt == samples[0].fields[field] and len(crafted.images) == images
    assert crafted.meta["text_field"] == field and crafted.category == "01-Illegal_Activitiy"


def test_sd_typo_stacks_the_released_sd_image(method: Any, samples: list[Sample]) -> None:
    crafted = method(method.Config(variant="sd-typo", jpeg_quality=None)).craft(samples[0])
    typo = method(method.Config(jpeg_quality=None)).typography(samples[0].fields["Key Phrase"])
    assert crafted.images[0].to_pil().size == (1024, 48 + typo.height)


def test_not_the_drifted_ports(method: Any) -> None:
    config = method.Config()
    assert (config.font_size, config.max_width) == (90, 1024)  # not 80/768, 50/768 or 60
    assert config.text_fields["typo"] == "Rephrased Question"  # not MLLM-Protector's (SD) field
    assert config.typo_field == "Key Phrase" and config.variant == "sd-typo"


def test_dataset_folder(samples: list[Sample]) -> None:
    assert sum(SCENARIOS.values()) == 1680 and len(SCENARIOS) == 13
    assert "01-Illegal_Activitiy" in SCENARIOS
    assert [s.id for s in samples[:3]] == ["01-0", "01-1", "02-0"]
    assert {s.category for s in samples} == set(SCENARIOS)
    assert samples[-1].id == "13-0" and samples[-1].category == "13-Gov_Decision"
    assert samples[0].fields["question"] == samples[0].fields["Question"]
    assert samples[0].image is not None and samples[0].image.name == "0.jpg"
    loaded = load_dataset("mm-safetybench", FIXTURE)
    assert loaded.path.name == "processed_questions" and len(loaded.sha256) == 64


def test_dataset_needs_a_local_copy(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not downloaded automatically"):
        load_mm_safetybench(None)
    with pytest.raises(DatasetError, match="no processed_questions"):
        load_mm_safetybench(tmp_path)
    shutil.copytree(FIXTURE / "processed_questions", tmp_path / "data" / "processed_questions")
    (tmp_path / "data" / "processed_questions" / "07-Sex.json").unlink()
    with pytest.raises(DatasetError, match=re.escape("07-Sex.json")):
        load_mm_safetybench(tmp_path)


def test_missing_sd_image_names_the_path(method: Any, tmp_path: Path) -> None:
    shutil.copytree(FIXTURE / "processed_questions", tmp_path / "processed_questions")
    sample = load_mm_safetybench(tmp_path)[0][0]
    expected = tmp_path / "imgs" / "01-Illegal_Activitiy" / "SD" / "0.jpg"
    for variant in ("sd", "sd-typo"):
        with pytest.raises(DatasetError, match=re.escape(f"expected {expected}")):
            method(method.Config(variant=variant)).craft(sample)
    assert method(method.Config(variant="typo")).craft(sample).images


def test_released_images_are_used_as_they_are(method: Any, tmp_path: Path) -> None:
    from PIL import Image

    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    folder = tmp_path / "imgs" / "01-Illegal_Activitiy" / "TYPO"
    folder.mkdir()
    Image.new("RGB", (1024, 270), (9, 9, 9)).save(folder / "0.jpg")
    sample = load_mm_safetybench(tmp_path)[0][0]
    crafted = method(method.Config(variant="typo", images="released")).craft(sample)
    assert crafted.images[0].to_pil().size == (1024, 270) and crafted.meta["images"] == "released"
    with pytest.raises(DatasetError, match="SD_TYPO"):
        method(method.Config(variant="sd-typo", images="released")).craft(sample)


def test_runs_end_to_end_on_the_mock_backend(repo_kb: KnowledgeBase, tmp_path: Path) -> None:
    spec = RunSpec(method="mm-safetybench", model="mock-comply", data=FIXTURE, out=tmp_path, limit=3)
    result = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply"))
    assert result.record.counts.samples == 3 and result.record.method.setting == "sd-typo"
    assert result.record.provenance.plugin["font_sha256"] == LIBERATION_SANS_SHA256


@pytest.mark.parametrize(
    ("scenario", "template"),
    [
        ("01-Illegal_Activitiy", "mm-safetybench-general"),
        ("07-Sex", "mm-safetybench-general"),
        ("08-Political_Lobbying", "mm-safetybench-political-lobbying"),
        ("09-Privacy_Violence", "mm-safetybench-general"),
        ("10-Legal_Opinion", "mm-safetybench-legal"),
        ("11-Financial_Advice", "mm-safetybench-financial"),
        ("12-Health_Consultation", "mm-safetybench-health"),
        ("13-Gov_Decision", "mm-safetybench-gov-decision"),
    ],
)
def test_judge_picks_the_template_by_scenario(scenario: str, template: str) -> None:
    backend = MockBackend()
    backend.enqueue(["unsafe"])
    judge = judges.MMSafetyBenchJudge(backend, "mock-echo")
    verdict = judge.judge(Sample("x", scenario, {"question": "not shown"}), "prompt", "An answer.")
    assert (verdict.success, verdict.label) == (True, "unsafe") and verdict.rationale.startswith(f"[{template}]")
    sent = backend.history[-1].messages[0].text
    upstream = next(k for k, v in judges._IDS.items() if v == template)
    assert sent == judges.UPSTREAM_TEXTS[upstream].format(prediction="An answer.")
    assert "not shown" not in sent and len(backend.history[-1].messages[0].images) == 0


@pytest.mark.parametrize(
    ("answer", "label"),
    [("unsafe", "unsafe"), ("Unsafe\n", "unsafe"), ("safe", "safe"), ("SAFE", "safe"), ("unsafe.", "unparsed")],
)
def test_judge_parses_as_evaluation_py(answer: str, label: str) -> None:
    backend = MockBackend()
    backend.enqueue([answer])
    verdict = judges.MMSafetyBenchJudge(backend, "m").judge(Sample("x", "02-HateSpeech"), "p", "r")
    assert verdict.label == label and verdict.success is (label == "unsafe")


def test_templates_and_their_hash() -> None:
    assert len(judges.TEMPLATES) == 6 and len(judges.UPSTREAM_TEXTS) == 6
    for name, text in judges.UPSTREAM_TEXTS.items():
        assert text.count("{prediction}") == 1 and text.endswith("Answer: {prediction}\n Your output: ")
        assert judges.TEMPLATES[judges._IDS[name]].render("", "R") == text.format(prediction="R")
    info = judges.MMSafetyBenchJudge(MockBackend(), "m").describe()
    assert info["templates_sha256"] == judges.templates_sha256() and len(info["templates_sha256"]) == 64
    assert "cautious., you" in judges.UPSTREAM_TEXTS["gpt_query_template_safety_legal"]
    assert "cautious, you" in judges.UPSTREAM_TEXTS["gpt_query_template_safety_health"]
    with pytest.raises(UsageError):
        judges.create({})
