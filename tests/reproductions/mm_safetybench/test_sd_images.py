"""MM-SafetyBench's generated SD images: a tiny random Stable Diffusion pipeline built offline from configs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.base import BackendError
from lvlmkb.eval.backends.mock import MockBackend
from lvlmkb.eval.backends.registry import MissingExtraError
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.media.imagegen import INSTALL_HINT, GeneratorSettings, TextToImage, require_diffusers, sample_seed
from lvlmkb.eval.registry import get_method
from lvlmkb.eval.run.runner import RunSpec, make_config, run_reproduction
from lvlmkb.kb.knowledge import KnowledgeBase
from reproductions.mm_safetybench.dataset import load_mm_safetybench
from tests.conftest import DATA, REPO

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # huggingface_hub reads it once, at import
pytest.importorskip("PIL")
pytest.importorskip("torch")
FIXTURE = DATA / "datasets" / "mm-safetybench"
SIZE = 32


def _byte_alphabet() -> list[str]:
    """The 256 printable characters byte-level BPE uses for bytes (GPT-2's mapping)."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    extra = [b for b in range(256) if b not in printable]
    codes = dict(zip(printable + extra, printable + [256 + n for n in range(len(extra))], strict=True))
    return [chr(codes[b]) for b in range(256)]


def _tokenizer(folder: Path) -> Any:
    """A CLIP tokenizer over single bytes only (no merges): every word splits into characters."""
    from transformers import CLIPTokenizer

    chars = _byte_alphabet()
    vocab = {token: i for i, token in enumerate(chars + [c + "</w>" for c in chars])}
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    folder.mkdir(parents=True)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=16)


@pytest.fixture(scope="session")
def diffusers() -> Any:
    """The diffusers module (its attributes are Any to mypy, so no stubs are needed); skips without it."""
    return pytest.importorskip("diffusers")


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory, diffusers: Any) -> Path:
    """A random Stable Diffusion 1.x-layout pipeline with 4/8-channel blocks, saved as a diffusers folder."""
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel

    root = tmp_path_factory.mktemp("tiny-sd")
    tokenizer = _tokenizer(root / "tokenizer-src")
    torch.manual_seed(0)
    end = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    text = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=16,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|startoftext|>"),
        eos_token_id=end,
        pad_token_id=end,
    )
    unet = diffusers.UNet2DConditionModel(
        sample_size=SIZE // 2,
        block_out_channels=(4, 8),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=2,
        norm_num_groups=2,
    )
    vae = diffusers.AutoencoderKL(
        block_out_channels=(4, 8),
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=2,
        sample_size=SIZE,
    )
    scheduler = diffusers.DDIMScheduler(
        beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False, steps_offset=1
    )
    pipeline = diffusers.StableDiffusionPipeline(
        vae=vae,
        text_encoder=CLIPTextModel(text),
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(root / "pipeline")
    return root / "pipeline"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LVLMKB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def method() -> Any:
    return get_method(REPO / "reproductions", "mm-safetybench")


@pytest.fixture(scope="module")
def samples() -> list[Sample]:
    return load_mm_safetybench(FIXTURE)[0]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts pipeline calls (each ``TextToImage.generate`` runs the pipeline once)."""
    seen: list[str] = []
    original = TextToImage.generate

    def counting(self: TextToImage, prompt: str, seed: int) -> Any:
        seen.append(prompt)
        return original(self, prompt, seed)

    monkeypatch.setattr(TextToImage, "generate", counting)
    return seen


def _generate(method: Any, tiny_sd: Path, **overrides: Any) -> Any:
    settings = {"sd_source": "generate", "sd_model": str(tiny_sd), "sd_steps": 2, "sd_size": SIZE, "sd_device": "cpu"}
    return method(method.Config(**{**settings, **overrides}))


def test_default_is_the_released_images(method: Any) -> None:
    config = method.Config()
    assert config.sd_source == "released"
    assert (config.sd_model, config.sd_prompt, config.sd_steps) == (
        "stabilityai/stable-diffusion-3.5-medium",
        "A photo of {key_phrase}",
        28,
    )
    sources = {row["name"]: row["source"] for row in method.card()}
    assert sources["sd_prompt"].startswith("jiaxiaojunQAQ/OmniSafeBench-MM@a4875c6:attacks/qr/attack.py")
    assert all(sources[name] for name in sources if name.startswith("sd_"))


def test_generates_deterministic_images(
    method: Any, tiny_sd: Path, samples: list[Sample], cache: Path, calls: list[str]
) -> None:
    attack = _generate(method, tiny_sd, variant="sd", jpeg_quality=None)
    crafted = attack.craft(samples[0])
    image = crafted.images[0].to_pil()
    assert image.size == (SIZE, SIZE) and image.convert("L").getextrema()[0] < image.convert("L").getextrema()[1]
    assert crafted.prompt == samples[0].fields["Rephrased Question(SD)"] and crafted.meta["sd_source"] == "generate"
    assert calls == [f"A photo of {samples[0].fields['Key Phrase']}"]
    # a fresh cache regenerates the same pixels; another sample gets another seed and another picture
    elsewhere = TextToImage(attack.settings.generator_settings(), root=cache / "elsewhere")
    assert elsewhere.image(samples[0].id, samples[0].fields["Key Phrase"]).tobytes() == image.tobytes()
    assert sample_seed(0, samples[0].id) != sample_seed(0, samples[1].id)
    other = attack.craft(samples[1]).images[0].to_pil()
    assert other.tobytes() != image.tobytes()


def test_cached_images_are_not_regenerated(
    method: Any, tiny_sd: Path, samples: list[Sample], cache: Path, calls: list[str]
) -> None:
    first = _generate(method, tiny_sd, variant="sd").craft(samples[0])
    assert len(calls) == 1
    again = _generate(method, tiny_sd, variant="sd")
    assert again.craft(samples[0]).images == first.images
    assert len(calls) == 1 and again.generator._pipeline is None, "served from the cache, pipeline never loaded"
    cached = list((cache / "sd").glob("*/*.png"))
    assert [p.name for p in cached] == [f"{samples[0].id}.png"]
    assert cached[0].parent.name == again.generator.key()
    # another key phrase under the same sample id is regenerated, not served stale
    changed = Sample(samples[0].id, samples[0].category, {**samples[0].fields, "Key Phrase": "a teapot"})
    again.craft(changed)
    assert calls[-1] == "A photo of a teapot"
    # other settings live in another folder
    assert _generate(method, tiny_sd, sd_steps=3).generator.key() != again.generator.key()


def test_sd_typo_stacks_the_generated_image(method: Any, tiny_sd: Path, samples: list[Sample], cache: Path) -> None:
    attack = _generate(method, tiny_sd, variant="sd-typo", jpeg_quality=None)
    stacked = attack.craft(samples[0]).images[0].to_pil()
    sd = attack.generator.image(samples[0].id, samples[0].fields["Key Phrase"])
    typo = attack.typography(samples[0].fields["Key Phrase"])
    assert stacked.size == (max(SIZE, typo.width), SIZE + typo.height)
    assert stacked.crop((0, 0, SIZE, SIZE)).tobytes() == sd.tobytes()
    assert stacked.crop((0, SIZE, typo.width, SIZE + typo.height)).tobytes() == typo.tobytes()


def test_provenance_records_the_generator(
    method: Any, tiny_sd: Path, samples: list[Sample], cache: Path, monkeypatch: pytest.MonkeyPatch, diffusers: Any
) -> None:
    seen: dict[str, Any] = {}
    original = diffusers.DiffusionPipeline.from_pretrained.__func__

    def spy(cls: Any, source: Any, /, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return original(cls, source, **kwargs)

    monkeypatch.setattr(diffusers.DiffusionPipeline, "from_pretrained", classmethod(spy))
    attack = _generate(method, tiny_sd, variant="sd-typo", sd_guidance=None)
    attack.craft(samples[0])
    assert seen["trust_remote_code"] is False
    record = attack.provenance()
    assert record["sd_model"] == str(tiny_sd) and record["sd_steps"] == "2" and record["sd_size"] == "32x32"
    assert record["sd_guidance"] == "pipeline default" and record["sd_dtype"] == "float32"
    assert record["sd_diffusers"] == diffusers.__version__ and "sha256" in record["sd_seed_rule"]
    assert record["sd_pipeline"] == "StableDiffusionPipeline" and record["sd_safety_checker"] == "False"
    assert record["sd_cache_key"] == attack.generator.key() and "font_sha256" in record
    # a later run served from the cache still records the pipeline class
    assert _generate(method, tiny_sd, variant="sd-typo", sd_guidance=None).provenance() == record


def test_run_record_carries_the_generator(
    method: Any, tiny_sd: Path, repo_kb: KnowledgeBase, tmp_path: Path, cache: Path
) -> None:
    config = {"variant": "sd", "sd_source": "generate", "sd_model": str(tiny_sd), "sd_steps": 2, "sd_size": SIZE}
    spec = RunSpec(
        method="mm-safetybench", model="mock-comply", data=FIXTURE, out=tmp_path / "run", limit=2, config=config
    )
    result = run_reproduction(RunContext(repo_kb), spec, backend=MockBackend("comply"))
    assert result.record.provenance.plugin["sd_model"] == str(tiny_sd)
    assert len(list((cache / "sd").glob("*/*.png"))) == 2


def test_bad_settings_are_usage_errors(method: Any, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="images=render"):
        make_config(method, {"variant": "sd-typo", "sd_source": "generate", "images": "released"})
    with pytest.raises(UsageError, match="placeholder"):
        TextToImage(GeneratorSettings(model="x", prompt="A photo of {phrase}"), root=tmp_path)


def test_missing_diffusers_names_the_extra(
    method: Any, samples: list[Sample], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "diffusers", None)  # makes ``import diffusers`` raise ImportError
    with pytest.raises(MissingExtraError) as caught:
        require_diffusers()
    assert caught.value.hint == INSTALL_HINT == "pip install 'lvlmkb[sd]'"
    attack = method(method.Config(variant="sd", sd_source="generate"))
    with pytest.raises(MissingExtraError, match="diffusers"):
        attack.craft(samples[0])


def test_missing_checkpoint_says_how_to_download(
    method: Any, samples: list[Sample], cache: Path, monkeypatch: pytest.MonkeyPatch, diffusers: Any
) -> None:
    def offline(*args: Any, **kwargs: Any) -> str:
        raise OSError("Cannot load model: the model is not fully cached locally")

    monkeypatch.setattr(diffusers.DiffusionPipeline, "download", offline)
    attack = method(method.Config(variant="sd", sd_source="generate", sd_device="cpu"))
    with pytest.raises(BackendError) as caught:
        attack.craft(samples[0])
    assert "stabilityai/stable-diffusion-3.5-medium" in caught.value.message
    assert "hf download stabilityai/stable-diffusion-3.5-medium" in caught.value.hint
    assert "licence" in caught.value.hint
