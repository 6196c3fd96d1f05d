"""Text-to-image generation with a diffusers pipeline, one image per sample, cached on disk.

Each image is made from a prompt template filled with a subject (a key phrase, say) and a seed derived
from the sample id, so a resumed or repeated run regenerates exactly the same picture. Images are kept
under ``<cache>/sd/<key>/<sample id>.png`` where ``key`` hashes the generator's settings (model,
revision, prompt template, steps, size, guidance, seed rule, device, dtype, diffusers version); the
PNG carries its prompt and seed, and a cached file whose prompt differs is regenerated. The first
load writes ``generator.json`` beside the images with what was resolved then (pipeline class, hub
commit), so a run served entirely from the cache still records it.

diffusers is imported on first use and is optional (``pip install 'lvlmkb[sd]'``); remote code is
never trusted.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lvlmkb.cachedir import cache_dir
from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.base import BackendError
from lvlmkb.eval.backends.hf_inputs import missing_checkpoint_error
from lvlmkb.eval.backends.registry import MissingExtraError

if TYPE_CHECKING:
    from PIL.Image import Image

INSTALL_HINT = "pip install 'lvlmkb[sd]'"
SEED_RULE = "int.from_bytes(sha256('<seed>:<sample id>')[:8], 'big') % 2**63 on a CPU torch.Generator"
SIDECAR = "generator.json"
DEFAULT = "pipeline default"


@dataclass(frozen=True)
class GeneratorSettings:
    """What decides a generated image: checkpoint, prompt template, sampler settings, seed and precision.

    ``size`` is the side of a square image and ``guidance`` the classifier-free guidance scale; None
    leaves either to the pipeline's own default. ``device`` None picks CUDA when available, else CPU;
    ``dtype`` None picks float16 on CUDA and float32 on CPU.
    """

    model: str
    prompt: str = "A photo of {key_phrase}"
    steps: int = 28
    size: int | None = None
    guidance: float | None = None
    seed: int = 0
    revision: str | None = None
    device: str | None = None
    dtype: str | None = None


def require_diffusers() -> ModuleType:
    """The ``diffusers`` module, or a :class:`MissingExtraError` naming the extra to install."""
    try:
        diffusers = importlib.import_module("diffusers")
    except ImportError as err:
        raise MissingExtraError(
            f"generating Stable Diffusion images needs diffusers, which is not installed ({err.name or err})",
            INSTALL_HINT,
        ) from err
    return diffusers


def sample_seed(seed: int, sample_id: str) -> int:
    """The per-sample seed: stable across runs, processes and machines (see :data:`SEED_RULE`)."""
    digest = hashlib.sha256(f"{seed}:{sample_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 2**63


def resolve_device(device: str | None) -> str:
    """``device`` itself, or ``cuda`` when a GPU is visible and ``cpu`` otherwise."""
    if device is not None:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_dtype(dtype: str | None, device: str) -> str:
    """``dtype`` itself, or float16 on CUDA and float32 elsewhere."""
    if dtype is not None:
        return dtype
    return "float16" if device.startswith("cuda") else "float32"


def file_name(sample_id: str) -> str:
    """A file name for ``sample_id`` (path separators replaced)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in sample_id) + ".png"


class TextToImage:
    """Makes and caches one image per sample with a diffusers text-to-image pipeline."""

    def __init__(self, settings: GeneratorSettings, root: Path | None = None) -> None:
        """Check the prompt template; nothing is imported or loaded until the first image is needed.

        Args:
            settings: The generator's settings.
            root: Cache folder for all generators; ``cache_dir()/sd`` when None.
        """
        try:
            settings.prompt.format(key_phrase="x")
        except (KeyError, IndexError, ValueError) as err:
            raise UsageError(
                f"bad text-to-image prompt template {settings.prompt!r}: {err!r}",
                "the only placeholder is {key_phrase}; double other braces",
            ) from err
        self.settings = settings
        self.root = root if root is not None else cache_dir() / "sd"
        self._pipeline: Any = None
        self._identity: dict[str, str] | None = None

    def identity(self) -> dict[str, str]:
        """The settings that decide the pixels, with device and dtype resolved and diffusers' version."""
        if self._identity is None:
            s = self.settings
            device = resolve_device(s.device)
            self._identity = {
                "model": s.model,
                "revision": s.revision or "",
                "prompt": s.prompt,
                "steps": str(s.steps),
                "size": f"{s.size}x{s.size}" if s.size is not None else DEFAULT,
                "guidance": str(s.guidance) if s.guidance is not None else DEFAULT,
                "seed": str(s.seed),
                "seed_rule": SEED_RULE,
                "device": device,
                "dtype": resolve_dtype(s.dtype, device),
                "diffusers": str(require_diffusers().__version__),
            }
        return dict(self._identity)

    def key(self) -> str:
        """Hash of :meth:`identity`: the name of this generator's cache folder."""
        payload = json.dumps(self.identity(), sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    @property
    def folder(self) -> Path:
        """Where this generator's images and ``generator.json`` lie."""
        return self.root / self.key()

    def provenance(self) -> dict[str, str]:
        """Identity, cache key and what the first load resolved (pipeline class, commit), for run records."""
        record = {**self.identity(), "cache_key": self.key()}
        sidecar = self.folder / SIDECAR
        if sidecar.is_file():
            loaded = json.loads(sidecar.read_text(encoding="utf-8"))
            record.update({k: str(v) for k, v in loaded.items() if k not in record})
        return record

    def image(self, sample_id: str, key_phrase: str) -> Image:
        """The image of ``key_phrase`` for ``sample_id``: from the cache, or generated and cached."""
        prompt = self.settings.prompt.format(key_phrase=key_phrase)
        seed = sample_seed(self.settings.seed, sample_id)
        path = self.folder / file_name(sample_id)
        cached = _read_cached(path, prompt, seed)
        if cached is not None:
            return cached
        image = self.generate(prompt, seed)
        _write_png(path, image, {"prompt": prompt, "seed": str(seed), "sample_id": sample_id})
        return image

    def generate(self, prompt: str, seed: int) -> Image:
        """One image from the pipeline (no cache), seeded on a CPU generator so devices share the noise."""
        import torch

        s = self.settings
        kwargs: dict[str, Any] = {"num_inference_steps": s.steps}
        if s.size is not None:
            kwargs.update(height=s.size, width=s.size)
        if s.guidance is not None:
            kwargs["guidance_scale"] = s.guidance
        generator = torch.Generator("cpu").manual_seed(seed)
        result = self.pipeline(prompt, generator=generator, **kwargs)
        image: Image = result.images[0]
        return image.convert("RGB")

    @property
    def pipeline(self) -> Any:
        """The loaded pipeline (loaded on first access; writes ``generator.json``)."""
        if self._pipeline is None:
            self._pipeline = self._load()
        return self._pipeline

    def release(self) -> None:
        """Drop the pipeline and free its accelerator memory (it reloads if needed again)."""
        self._pipeline = None
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _load(self) -> Any:
        import torch

        diffusers = require_diffusers()
        identity = self.identity()
        s = self.settings
        local = Path(s.model).is_dir()
        revision = None if local else s.revision
        try:
            folder = s.model if local else diffusers.DiffusionPipeline.download(s.model, revision=revision)
            pipeline = diffusers.DiffusionPipeline.from_pretrained(
                folder, dtype=getattr(torch, identity["dtype"]), trust_remote_code=False
            )
        except OSError as err:
            error = missing_checkpoint_error(s.model, revision, err)
            error.hint += "; gated checkpoints (the Stable Diffusion 3.x family) need their licence accepted first"
            raise error from err
        except ValueError as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise BackendError(
                f"cannot load text-to-image pipeline '{s.model}': {first}",
                "pass an existing local folder or the Hugging Face id of a diffusers pipeline (model_index.json)",
            ) from err
        pipeline = pipeline.to(identity["device"])
        pipeline.set_progress_bar_config(disable=True)
        self._write_sidecar(pipeline, Path(folder), local)
        return pipeline

    def _write_sidecar(self, pipeline: Any, folder: Path, local: bool) -> None:
        resolved = {
            "pipeline": type(pipeline).__name__,
            "commit": "" if local or folder.parent.name != "snapshots" else folder.name,
            "source": str(folder.resolve()) if local else "hub",
            "safety_checker": str(getattr(pipeline, "safety_checker", None) is not None),
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.folder / SIDECAR, (json.dumps(resolved, indent=2) + "\n").encode("utf-8"))


def _read_cached(path: Path, prompt: str, seed: int) -> Image | None:
    """The cached image at ``path`` when it was made from this prompt and seed, else None."""
    if not path.is_file():
        return None
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as stored:
            if stored.info.get("prompt") != prompt or stored.info.get("seed") != str(seed):
                return None
            return stored.convert("RGB")
    except OSError:
        return None


def _write_png(path: Path, image: Image, text: dict[str, str]) -> None:
    """Save ``image`` as PNG with ``text`` chunks, atomically."""
    import io

    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, buffer.getvalue())


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
