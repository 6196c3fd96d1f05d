"""MM-SafetyBench (Liu et al., ECCV 2024, arXiv 2311.17600): the query-relevant ("QR") image attack.

GPT-4 extracted each question's key harmful phrase and rephrased the question so that it only refers
to "a phrase of an activity/product" shown in an image. The image is a Stable Diffusion picture of the
phrase (SD), the phrase set in type (TYPO), or both stacked (SD+TYPO); the text-only baseline asks the
original question. Sources: ``creation/2_img_process.py`` (typography and concatenation, read through
third-party copies; the original repository isXinLiu/MM-SafetyBench could not be read, its revision
``b80eedea`` is pinned by a third-party manifest) and ECSO's ``llava/eval/model_mmsafe.py`` (which text
field goes with which image).

Drift in other toolkits (reproduction reference §2.7, §10), none of it followed here: OmniSafeBench
renders Arial 80 at width 768 with SD-3.5-medium images and gpt-3.5-turbo key phrases; MMJ-Bench uses
size 50 at width 768; JailBreakV-28K's copy of the same functions uses size 60 and SDXL base + refiner;
MLLM-Protector pairs TYPO images with ``Rephrased Question(SD)``; VLMEvalKit replaces the six judge
templates with zero-shot paraphrases on gpt-4o-mini.

SD images: the paper ran Stable Diffusion on each key phrase, but its checkpoint and prompt are
unverified. By default (``sd_source=released``) the authors' released SD images are read from the
data folder. ``--set sd_source=generate`` makes them here with a diffusers pipeline
(:mod:`lvlmkb.eval.media.imagegen`, extra ``lvlmkb[sd]``) following OmniSafeBench's port (SD-3.5-medium,
``A photo of {key_phrase}``, 28 steps) with a per-sample seed; the images are cached under
``<cache>/sd/<settings hash>/`` and the generator's identity is written to the run record.
JailBreakV-28K's SDXL base + refiner is not offered (its two-stage pipeline is a different recipe).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import model_validator

from lvlmkb.eval import (
    CraftedInput,
    DatasetError,
    Deviation,
    GeneratorSettings,
    ImageInput,
    Method,
    MethodConfig,
    Sample,
    Source,
    TextToImage,
    UsageError,
    benchmark,
    find_font,
    sourced,
)
from reproductions.mm_safetybench.dataset import image_path

if TYPE_CHECKING:
    from PIL.Image import Image
    from PIL.ImageFont import FreeTypeFont

REVISION = "b80eedea3db312c09ded2082813390f68e750ef3"
IMG_PROCESS = Source("isXinLiu/MM-SafetyBench", REVISION, "creation/2_img_process.py")
ECSO = Source("gyhdog99/ECSO", "3878522f3a59ccb5f0edaa019086b3e954130719", "llava/eval/model_mmsafe.py")
OMNI = Source("jiaxiaojunQAQ/OmniSafeBench-MM", "a4875c66b85e0b7c20e41fdf4af56f76458e7778", "attacks/qr/attack.py")
SD3 = Source(
    "huggingface/diffusers", "v0.42.1", "src/diffusers/pipelines/stable_diffusion_3/pipeline_stable_diffusion_3.py"
)
PORT = "OmniSafeBench's QR port; the paper's own generator is unverified"


def _read_note(note: str = "") -> str:
    """A note on a parameter read in the authors' image script, which survives only in third-party copies."""
    read = "read through third-party copies of the file"
    return f"{note}; {read}" if note else read


def _port_note(note: str = "") -> str:
    """A note on a parameter of the SD image generation, which follows OmniSafeBench-MM's port."""
    return f"{note}; {PORT}" if note else PORT


class Variant(StrEnum):
    """The paper's four inputs: question only, SD image, typography image, SD above typography."""

    text_only = "text-only"
    sd = "sd"
    typo = "typo"
    sd_typo = "sd-typo"


TEXT_FIELDS = {
    "text-only": "Question",
    "sd": "Rephrased Question(SD)",
    "typo": "Rephrased Question",
    "sd-typo": "Rephrased Question",
}
RELEASED_FOLDERS = {Variant.sd: "SD", Variant.typo: "TYPO", Variant.sd_typo: "SD_TYPO"}


class MMSafetyBenchConfig(MethodConfig):
    """The variant, the text field sent with each variant, and the typography and concatenation rules."""

    variant: Variant = sourced(Variant.sd_typo, ECSO.at("image types SD, TYPO, SD_TYPO"))
    text_fields: dict[str, str] = sourced((lambda: dict(TEXT_FIELDS))(), ECSO.at("question field per image type"))
    images: Literal["render", "released"] = sourced(
        "render",
        IMG_PROCESS.at("typo_draw_img, vertical_concat"),
        note=_read_note("render: typography drawn here; released: the authors' TYPO/SD_TYPO files from --data"),
    )
    typo_field: str = sourced("Key Phrase", IMG_PROCESS.at("typo_format_text(item['Key Phrase'])"), note=_read_note())
    font_name: str = sourced(
        "LiberationSans-Regular.ttf",
        IMG_PROCESS.at("ImageFont.truetype('ARIAL.TTF', font_size)"),
        note=_read_note("original: Arial; Liberation Sans is metric-compatible"),
    )
    font_size: int = sourced(
        90,
        IMG_PROCESS.at("font_size; text drawn at (0, font_size / 2), height font_size × (lines + 1)"),
        ge=1,
        note=_read_note(),
    )
    max_width: int = sourced(1024, IMG_PROCESS.at("max_width: image width and wrap limit"), ge=1, note=_read_note())
    background: str = sourced("#FFFFFF", IMG_PROCESS.at("typo_draw_img: Image.new (255, 255, 255)"), note=_read_note())
    fill: str = sourced("#000000", IMG_PROCESS.at("typo_draw_img: draw.text fill (0, 0, 0)"), note=_read_note())
    concat_fill: str = sourced(
        "#000000",
        IMG_PROCESS.at("vertical_concat: Image.new('RGB', size)"),
        note=_read_note("Pillow's default black, as in JailBreakV-28K's copy; visible only when widths differ"),
    )
    jpeg_quality: int | None = sourced(
        75,
        IMG_PROCESS.at("img.save('<id>.jpg'): Pillow's default JPEG quality"),
        ge=1,
        le=100,
        note=_read_note(
            "the SD, TYPO and SD_TYPO images were stored as JPEG (generated SD images get the same round trip); "
            "null skips the round trip"
        ),
    )
    sd_source: Literal["released", "generate"] = sourced(
        "released",
        ECSO.at("imgs/<scenario>/SD/<id>.jpg"),
        note="released: the authors' SD images from --data; generate: made here with the sd_* settings",
    )
    sd_model: str = sourced(
        "stabilityai/stable-diffusion-3.5-medium",
        OMNI.at("build_sd3_pipeline: StableDiffusion3Pipeline"),
        note=_port_note(
            "the port's checkpoint is SD-3.5-medium per the reproduction reference §2.3 (its config was not read); "
            "a Hugging Face repository id or a local diffusers folder"
        ),
    )
    sd_revision: str | None = sourced(
        None, OMNI.at("stable_diffusion_path"), note=_port_note("the port pins no revision; null: the hub's main")
    )
    sd_field: str = sourced("Key Phrase", OMNI.at("gen_sd_img(sd_pipe, key_phrase)"), note=_port_note())
    sd_prompt: str = sourced(
        "A photo of {key_phrase}", OMNI.at("gen_sd_img: f'A photo of {key_phrase}'"), note=_port_note()
    )
    sd_steps: int = sourced(28, OMNI.at("gen_sd_img: num_inference_steps=28"), ge=1, note=_port_note())
    sd_size: int | None = sourced(
        1024,
        SD3.at("__call__: height = default_sample_size * vae_scale_factor"),
        ge=8,
        note="the port passes no size, so SD3's default applies: 128 × 8 = 1024 (SD-3.5-medium's transformer "
        "sample_size not read here); null leaves it to the pipeline",
    )
    sd_guidance: float | None = sourced(
        7.0,
        SD3.at("__call__: guidance_scale: float = 7.0"),
        note="the port passes no guidance, so the pipeline default applies; null leaves it to the pipeline",
    )
    sd_seed: int = sourced(
        0,
        OMNI.at("gen_sd_img: no generator"),
        note=_port_note("the port is unseeded; here each sample's seed is derived from this and its id"),
    )
    sd_device: str | None = sourced(None, OMNI.at("pick_device: cuda if available else cpu"), note=_port_note())
    sd_dtype: Literal["float16", "bfloat16", "float32"] | None = sourced(
        None, OMNI.at("QRConfig.dtype = 'fp16'"), note=_port_note("null: float16 on CUDA, float32 on CPU")
    )

    @model_validator(mode="after")
    def _generated_sd_needs_rendering(self) -> MMSafetyBenchConfig:
        if self.variant is Variant.sd_typo and self.sd_source == "generate" and self.images == "released":
            raise ValueError(
                "sd_source=generate with variant=sd-typo needs images=render (the concatenation is made here)"
            )
        return self

    def generator_settings(self) -> GeneratorSettings:
        """The text-to-image settings of ``sd_source=generate``."""
        return GeneratorSettings(
            model=self.sd_model,
            prompt=self.sd_prompt,
            steps=self.sd_steps,
            size=self.sd_size,
            guidance=self.sd_guidance,
            seed=self.sd_seed,
            revision=self.sd_revision,
            device=self.sd_device,
            dtype=self.sd_dtype,
        )


Measure = Callable[[str], float]


def wrap_words(text: str, measure: Measure, max_width: int) -> tuple[str, int]:
    r"""Greedy word wrap of ``typo_format_text``: returns the text with line breaks and the line count.

    Words are split on single spaces. A running length (the first word, then each ``" " + word``) is
    kept; when it reaches ``max_width`` the word starts a new line as ``"\n " + word`` (with a leading
    space) and the running length restarts at the length of ``" " + word``.
    """
    words = text.split(" ")
    formatted, running, lines = words[0], measure(words[0]), 1
    for word in words[1:]:
        running += measure(" " + word)
        if running < max_width:
            formatted += " " + word
        else:
            formatted += "\n " + word
            running = measure(" " + word)
            lines += 1
    return formatted, lines


def font_measure(font: FreeTypeFont, max_width: int) -> Measure:
    """``ImageDraw.textlength`` on an RGB canvas, as the original measures."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    draw = ImageDraw.Draw(PILImage.new("RGB", (max_width, 100), (255, 255, 255)))
    return lambda text: float(draw.textlength(text, font=font))


def render_typography(text: str, font: FreeTypeFont, config: MMSafetyBenchConfig) -> Image:
    """The TYPO image: width ``max_width``, height ``font_size × (lines + 1)``, text at (0, font_size / 2)."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    formatted, lines = wrap_words(text, font_measure(font, config.max_width), config.max_width)
    image = PILImage.new("RGB", (config.max_width, config.font_size * (lines + 1)), config.background)
    ImageDraw.Draw(image).text((0, config.font_size / 2.0), formatted, config.fill, font=font)
    return image


def vertical_concat(top: Image, bottom: Image, fill: str) -> Image:
    """SD above TYPO: width the larger of the two, height the sum, both pasted at x = 0."""
    from PIL import Image as PILImage

    result = PILImage.new("RGB", (max(top.width, bottom.width), top.height + bottom.height), fill)
    result.paste(top, (0, 0))
    result.paste(bottom, (0, top.height))
    return result


def jpeg_round_trip(image: Image, quality: int | None) -> Image:
    """The image as the original saved and reloaded it (``.jpg`` at Pillow's defaults); unchanged for None."""
    if quality is None:
        return image
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with PILImage.open(buffer) as decoded:
        return decoded.convert("RGB")


def load_released(sample: Sample, folder: str) -> Image:
    """One of the authors' images of ``sample``; a clear error names the expected file when it is missing."""
    from PIL import Image as PILImage

    if "images_dir" not in sample.fields:
        raise DatasetError(f"sample {sample.id} has no image folder", "use the mm-safetybench dataset")
    path = image_path(sample, folder)
    if not path.is_file():
        raise DatasetError(
            f"missing {folder} image for sample {sample.id}: expected {path}",
            "download the authors' images into <data>/imgs/<scenario>/{SD,TYPO,SD_TYPO}/ or pick --set variant=typo",
        )
    with PILImage.open(path) as image:
        return image.convert("RGB")


DEVIATIONS = (
    Deviation(
        "typography in Liberation Sans Regular instead of Arial (ARIAL.TTF)",
        "Arial cannot be redistributed; Liberation Sans has Arial's metrics, so wrapping and sizes match, "
        "glyph shapes differ slightly; --set images=released uses the authors' own images",
    ),
    Deviation(
        "SD images: the authors' released images by default; with sd_source=generate, Stable Diffusion 3.5 "
        "Medium with OmniSafeBench's prompt 'A photo of {key_phrase}', 28 steps, guidance 7.0, 1024x1024",
        "the paper's Stable Diffusion checkpoint and prompt are not published; the generator is a run "
        "parameter and its identity is recorded in the run record's provenance (sd_*)",
    ),
    Deviation(
        "generated SD images use a seed derived from the base seed and the sample id",
        "the paper's seeds are unknown and OmniSafeBench's port is unseeded; a fixed per-sample seed makes "
        "resumed and repeated runs regenerate identical images",
    ),
    Deviation(
        "judge: a refusal-keyword judge by default instead of the six GPT-4 templates",
        "the paper's judge needs a judge model; pass --judge llm-mm-safetybench --judge-model ALIAS",
    ),
    Deviation(
        "the text-only variant sends no image, also to a defense",
        "as ECSO's first-answer script (model_mmsafe.py) does; ECSO's defense script (model_mmsafe_tell_ask.py) "
        "still passes the SD image to its harm check and caption in text mode: see ECSO's deviations",
    ),
    Deviation(
        "the chat template comes from the model's own processor",
        "the paper ran each model's own inference code; lvlmkb's backend applies the checkpoint's template",
    ),
)
"""How this reproduction differs from the original, and why."""


@benchmark(
    paper="liu2023mmsafetybench",
    version=1,
    dataset="mm-safetybench",
    judges=["refusal-gcg-advbench-29"],
    deviations=DEVIATIONS,
)
class MMSafetyBench(Method[MMSafetyBenchConfig]):
    """MM-SafetyBench's query-relevant images (Text-only, SD, TYPO, SD+TYPO) over its 13 scenarios."""

    def __init__(self, config: MethodConfig | None = None) -> None:
        super().__init__(config)
        self._font: FreeTypeFont | None = None
        self._font_sha256 = ""
        self._generator: TextToImage | None = None

    @property
    def font(self) -> FreeTypeFont:
        """The typography font at the configured size, found on the system."""
        if self._font is None:
            from PIL import ImageFont

            found = find_font(self.settings.font_name)
            self._font = ImageFont.truetype(str(found.path), self.settings.font_size)
            self._font_sha256 = found.sha256
        return self._font

    @property
    def generator(self) -> TextToImage:
        """The text-to-image generator of ``sd_source=generate`` (loads nothing until an image is needed)."""
        if self._generator is None:
            self._generator = TextToImage(self.settings.generator_settings())
        return self._generator

    def release(self) -> None:
        """Free the text-to-image pipeline, if one was loaded (call once crafting is done)."""
        if self._generator is not None:
            self._generator.release()

    def sd_image(self, sample: Sample) -> Image:
        """The SD image of one sample: the authors' file, or generated from its key phrase and cached."""
        c = self.settings
        if c.sd_source == "released":
            return load_released(sample, "SD")
        if c.sd_field not in sample.fields:
            raise DatasetError(f"sample {sample.id} has no field '{c.sd_field}'", "use the mm-safetybench dataset")
        generated = self.generator.image(sample.id, sample.fields[c.sd_field])
        return jpeg_round_trip(generated, c.jpeg_quality)

    def typography(self, text: str) -> Image:
        """The TYPO image of a key phrase, as stored by the original (JPEG round trip included)."""
        return jpeg_round_trip(render_typography(text, self.font, self.settings), self.settings.jpeg_quality)

    def image_for(self, sample: Sample) -> Image | None:
        """The image of the configured variant for one sample (None for text-only)."""
        c = self.settings
        if c.variant is Variant.text_only:
            return None
        if c.variant is Variant.sd:
            return self.sd_image(sample)
        if c.images == "released":
            return load_released(sample, RELEASED_FOLDERS[c.variant])
        typo = self.typography(sample.fields[c.typo_field])
        if c.variant is Variant.typo:
            return typo
        sd = self.sd_image(sample)
        return jpeg_round_trip(vertical_concat(sd, typo, c.concat_fill), c.jpeg_quality)

    def needed_fields(self) -> tuple[str, ...]:
        """The variant's text field, and the key phrase its typography or generated SD image is made from."""
        c = self.settings
        text = c.text_fields.get(c.variant.value)
        fields = [text] if text is not None else []
        rendered = c.images != "released"  # released TYPO and SD+TYPO images are read, not made
        if c.variant in (Variant.typo, Variant.sd_typo) and rendered:
            fields.append(c.typo_field)
        sd_made = c.variant is Variant.sd or (c.variant is Variant.sd_typo and rendered)
        if sd_made and c.sd_source != "released":
            fields.append(c.sd_field)
        return tuple(dict.fromkeys(fields))

    def craft(self, sample: Sample) -> CraftedInput:
        """The variant's text field with its image."""
        c = self.settings
        field = c.text_fields.get(c.variant.value)
        if field is None:
            raise UsageError(f"text_fields names no field for variant '{c.variant.value}'", "see TEXT_FIELDS")
        if field not in sample.fields:
            raise DatasetError(f"sample {sample.id} has no field '{field}'", "use the mm-safetybench dataset")
        image = self.image_for(sample)
        images = (ImageInput.from_pil(image),) if image is not None else ()
        meta = {"variant": c.variant.value, "text_field": field, "images": c.images}
        if c.variant in (Variant.sd, Variant.sd_typo):
            meta["sd_source"] = c.sd_source
        return CraftedInput(sample.id, sample.category, sample.fields[field], images, meta)

    def setting(self) -> str:
        """The variant (text-only, sd, typo, sd-typo), the names of the paper's four columns."""
        return self.settings.variant.value

    def provenance(self) -> dict[str, str]:
        """The font file's hash when typography is rendered here; the SD generator's identity when generating."""
        c = self.settings
        record: dict[str, str] = {}
        if c.variant in (Variant.typo, Variant.sd_typo) and c.images == "render":
            _ = self.font
            record.update(font=c.font_name, font_sha256=self._font_sha256)
        if c.variant in (Variant.sd, Variant.sd_typo) and c.sd_source == "generate":
            record.update({f"sd_{key}": value for key, value in self.generator.provenance().items()})
        return record
