"""The Hugging Face backend: any ``AutoModelForImageTextToText`` checkpoint, chat templates from its processor.

Weights load lazily on first use. Generation batches requests with left padding; a white-box path gives
the cross-entropy of a target answer as a differentiable function of the pixels (for PGD-style attacks).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import transformers

from lvlmkb.eval.backends.base import (
    BackendError,
    GenerationRequest,
    GenerationResponse,
    GenerationSettings,
    ImageInput,
)
from lvlmkb.eval.backends.hf_inputs import (
    eos_set,
    group_by_settings,
    missing_checkpoint_error,
    oom_guard,
    prompt_target_ids,
    quiet_cosmetic_warnings,
    resolve_dtype,
    to_chat,
    trim_generated,
)
from lvlmkb.eval.backends.hub import ensure_hub_reachable
from lvlmkb.eval.backends.image_only import load_processor
from lvlmkb.eval.backends.preprocessing import Preprocessing, preprocessing_for
from lvlmkb.eval.backends.registry import WHITE_BOX_FAMILIES, white_box_families_text
from lvlmkb.eval.backends.tiny import TINY_FAMILIES, TINY_PREFIX, ensure_tiny_model

if TYPE_CHECKING:
    from lvlmkb.eval.backends.registry import BackendOptions
    from lvlmkb.kb.schema import ModelEntry

# Extra ``generate`` arguments by ``config.model_type``.
_FAMILY_GENERATE_KWARGS: dict[str, dict[str, Any]] = {"janus": {"generation_mode": "text"}}
_TOKEN_CACHE_SIZE = 64
TargetInputs = tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]
"""Token ids of prompt + target, the labels of the target, and the processor's other inputs for that text."""


quiet_cosmetic_warnings()


def _first_line(err: BaseException) -> str:
    """The first line of an exception's message (its type when the message is empty)."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def _missing_hint(err: ImportError) -> str:
    """What to install for a processor whose import failed."""
    if "torchvision" in str(err).lower() or err.name == "torchvision":
        return (
            "transformers 5 builds video processors with torchvision; lvlmkb loads Qwen2-VL, Qwen2.5-VL, "
            "LLaVA-OneVision, InternVL and SmolVLM without theirs, but this processor has no image-only form: "
            "install the torchvision release built for the installed torch"
        )
    return f"install the missing library ({err.name or 'named above'}) in lvlmkb's environment"


def _empty_cuda_cache() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def quiet_library_progress() -> None:
    """Silence transformers' and huggingface_hub's own progress bars: lvlmkb draws the one progress display."""
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    from huggingface_hub.utils.tqdm import disable_progress_bars

    disable_progress_bars()


class HFBackend:
    """Runs a vision-language checkpoint with transformers' ``AutoProcessor`` and ``AutoModelForImageTextToText``."""

    name = "hf"

    def __init__(
        self,
        checkpoint: str,
        *,
        revision: str | None = None,
        dtype: str | None = None,
        device: str | None = None,
        trust_remote_code: bool = False,
        family: str | None = None,
        preprocessing: str = "original",
    ) -> None:
        self.checkpoint = checkpoint
        tiny = checkpoint.removeprefix(TINY_PREFIX) if checkpoint.startswith(TINY_PREFIX) else None
        self.family = family or tiny
        self.preprocessing_choice = preprocessing
        self.revision = revision
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = resolve_dtype(dtype, self.device)
        self.trust_remote_code = trust_remote_code
        self._model: Any = None
        self._processor: Any = None
        self._token_cache: dict[tuple[str, str, tuple[int, ...]], TargetInputs] = {}

    @classmethod
    def from_entry(cls, entry: ModelEntry, options: BackendOptions) -> HFBackend:
        """Create the backend for a registry entry; nothing is loaded yet.

        Args:
            entry: The model registry entry (checkpoint, revision, dtype).
            options: Command-line settings; ``options.dtype`` overrides ``entry.dtype``.

        Returns:
            An unloaded backend.
        """
        if entry.checkpoint is None:
            raise BackendError(f"model '{entry.id}' has no checkpoint", "set `checkpoint` in reproductions/models.yaml")
        return cls(
            entry.checkpoint,
            revision=entry.revision,
            dtype=options.dtype or entry.dtype,
            device=options.device,
            trust_remote_code=options.trust_remote_code,
            family=entry.family,
            preprocessing=str(options.extra.get("preprocessing", "original")),
        )

    @classmethod
    def from_objects(cls, model: Any, processor: Any, *, checkpoint: str = "<in-memory>") -> HFBackend:
        """Wrap an already built model and processor (benchmarks, tests).

        They are put in evaluation mode, and the family's original preprocessing configures them once (LLaVA-NeXT's
        resolution grid); wrapping the same objects again leaves them as they are.

        Args:
            model: An ``AutoModelForImageTextToText``-style model.
            processor: Its processor, with a chat template.
            checkpoint: A name for :meth:`describe`.

        Returns:
            A loaded backend.
        """
        backend = cls(checkpoint, dtype=str(model.dtype).removeprefix("torch."), device=str(model.device))
        backend._model, backend._processor = cls._prepare(model, processor)
        backend.preprocessing.setup(backend._model, backend._processor)
        return backend

    # -- loading -----------------------------------------------------------------------------------

    @staticmethod
    def _prepare(model: Any, processor: Any) -> tuple[Any, Any]:
        model.eval()
        model.requires_grad_(False)
        processor.tokenizer.padding_side = "left"
        return model, processor

    def _source(self) -> str:
        if self.checkpoint.startswith(TINY_PREFIX):
            try:
                return str(ensure_tiny_model(self.checkpoint.removeprefix(TINY_PREFIX)))
            except ValueError as err:
                hint = "tiny test models: " + ", ".join(TINY_PREFIX + family for family in TINY_FAMILIES)
                raise BackendError(str(err), hint) from err
        return self.checkpoint

    def _load(self) -> tuple[Any, Any]:
        if self._model is not None:
            return self._model, self._processor
        source = self._source()
        local = Path(source).is_dir()
        revision = None if local else self.revision
        kwargs: dict[str, Any] = {"revision": revision, "trust_remote_code": self.trust_remote_code}
        model_kwargs: dict[str, Any] = {"dtype": getattr(torch, self.dtype)}
        if self.device == "cuda" and torch.cuda.device_count() > 1:
            model_kwargs["device_map"] = "auto"
        elif self.device != "cpu":
            model_kwargs["device_map"] = self.device
        if not local:
            ensure_hub_reachable(source, revision)
        quiet_library_progress()
        try:
            processor = load_processor(source, **kwargs)
            model = transformers.AutoModelForImageTextToText.from_pretrained(source, **kwargs, **model_kwargs)
        except OSError as err:
            raise missing_checkpoint_error(self.checkpoint, revision, err) from err
        except ImportError as err:  # a processor part needing a library that is not installed
            raise BackendError(
                f"cannot load checkpoint '{self.checkpoint}': {_first_line(err)}", _missing_hint(err)
            ) from err
        except ValueError as err:  # unknown model_type, or a processor without a chat template
            raise BackendError(
                f"cannot load checkpoint '{self.checkpoint}': {_first_line(err)}",
                "only checkpoints in transformers' native format load; see reproductions/models.yaml notes",
            ) from err
        self._model, self._processor = self._prepare(model, processor)
        self.preprocessing.setup(self._model, self._processor)
        return self._model, self._processor

    @property
    def model(self) -> Any:
        """The loaded model (loads on first access)."""
        return self._load()[0]

    @property
    def processor(self) -> Any:
        """The loaded processor (loads on first access)."""
        return self._load()[1]

    def describe(self) -> dict[str, Any]:
        """Settings and versions that identify this backend in a run record (does not load weights).

        Returns:
            backend, checkpoint, revision, commit, dtype, device, transformers, torch, trust_remote_code, the
            preprocessing, and once loaded the chat template's sha256 and the processor class (an
            ``ImageOnly...`` one where the video part needs torchvision).
        """
        commit = getattr(self._model.config, "_commit_hash", None) if self._model is not None else None
        template = getattr(self._processor, "chat_template", None) if self._processor is not None else None
        template_sha256 = hashlib.sha256(template.encode("utf-8")).hexdigest() if isinstance(template, str) else None
        return {
            "backend": self.name,
            "checkpoint": self.checkpoint,
            "revision": self.revision,
            "commit": commit,
            "dtype": self.dtype,
            "device": self.device,
            "transformers": importlib.metadata.version("transformers"),
            "torch": torch.__version__,
            "trust_remote_code": self.trust_remote_code,
            "preprocessing": self.preprocessing.describe(),
            "chat_template_sha256": template_sha256,
            "processor": type(self._processor).__name__ if self._processor is not None else None,
        }

    @property
    def preprocessing(self) -> Preprocessing:
        """The family's original image step before the processor (see :mod:`lvlmkb.eval.backends.preprocessing`)."""
        model_type = getattr(self._model.config, "model_type", None) if self._model is not None else None
        return preprocessing_for(self.family, self.preprocessing_choice, model_type)

    def prepare_image(self, image: Any) -> Any:
        """A PIL image as the original model's code hands it to the processor."""
        return self.preprocessing.apply(image, self.processor.image_processor)

    # -- generation --------------------------------------------------------------------------------

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """Answer requests in order; requests with different settings run as separate batches.

        Args:
            requests: The batch.

        Returns:
            One response per request, in order.

        Raises:
            BackendOutOfMemoryError: The accelerator ran out of memory.
        """
        responses: list[GenerationResponse | None] = [None] * len(requests)
        for settings, indices in group_by_settings(requests):
            group = self._generate_group([requests[i] for i in indices], settings)
            for index, response in zip(indices, group, strict=True):
                responses[index] = response
        return [r for r in responses if r is not None]

    def render(self, requests: Sequence[GenerationRequest]) -> Any:
        """Tokenise a batch with the processor's chat template, left padded, on the model's device.

        Args:
            requests: The batch.

        Returns:
            The processor's ``BatchFeature`` (input ids, attention mask, pixel values, ...).
        """
        model, processor = self._load()
        inputs = processor.apply_chat_template(
            [to_chat(r.messages, self.prepare_image) for r in requests],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            processor_kwargs={"padding": True, "padding_side": "left"},
        )
        return inputs.to(model.device, dtype=model.dtype)

    def generate_kwargs(self, settings: GenerationSettings) -> dict[str, Any]:
        """The keyword arguments this backend passes to ``model.generate`` for ``settings``.

        Args:
            settings: The decoding settings of a batch.

        Returns:
            ``max_new_tokens``, the sampling switches and any family-specific argument.
        """
        kwargs: dict[str, Any] = {"max_new_tokens": settings.max_new_tokens, "do_sample": not settings.greedy}
        if settings.greedy:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(temperature=settings.temperature, top_p=settings.top_p, top_k=None)
        kwargs.update(_FAMILY_GENERATE_KWARGS.get(self.model.config.model_type, {}))
        return kwargs

    def _generate_group(
        self, requests: Sequence[GenerationRequest], settings: GenerationSettings
    ) -> list[GenerationResponse]:
        model, processor = self._load()
        inputs = self.render(requests)
        kwargs = self.generate_kwargs(settings)
        if not settings.greedy:
            torch.manual_seed(settings.seed)
        with oom_guard(f"generating a batch of {len(requests)}", _empty_cuda_cache), torch.inference_mode():
            output = model.generate(**inputs, **kwargs)
        eos = eos_set(model.generation_config.eos_token_id)
        rows = output[:, inputs["input_ids"].shape[1] :].tolist()
        kept = [trim_generated(row, eos) for row in rows]
        texts = processor.batch_decode([list(ids) for ids in kept], skip_special_tokens=True)
        return [GenerationResponse(text, ids) for text, ids in zip(texts, kept, strict=True)]

    # -- white-box loss ----------------------------------------------------------------------------

    def pixel_inputs(self, images: Sequence[ImageInput]) -> torch.Tensor:
        """Images resized and rescaled to [0, 1] at model resolution, not normalised (NCHW, float32).

        Args:
            images: The images of one prompt, in order.

        Returns:
            A tensor without gradient, on the model's device, to optimise a perturbation on.

        Raises:
            BackendError: the model's family is not one whose loss the white-box path computes faithfully.
        """
        self.check_white_box()
        image_processor = self.processor.image_processor
        prepared = [self.prepare_image(im.to_pil()) for im in images]
        out = image_processor(images=prepared, do_normalize=False, return_tensors="pt")
        pixels: torch.Tensor = out["pixel_values"]
        if pixels.ndim != 4:
            raise BackendError(
                f"{type(image_processor).__name__} gives no NCHW pixels", "use LLaVA- or Janus-style models"
            )
        return pixels.to(self.model.device, torch.float32)

    def check_white_box(self) -> None:
        """Refuse a family whose white-box loss would not be the model's own (see ``WHITE_BOX_FAMILIES``).

        Raises:
            BackendError: naming the family and the ones served.
        """
        family = self.family or self.model.config.model_type
        if family not in WHITE_BOX_FAMILIES:
            raise BackendError(
                f"the white-box path does not serve the {family} family: its loss would not be the model's own",
                f"white-box attacks run on {white_box_families_text()} models",
            )

    def normalize(self, pixels: torch.Tensor) -> torch.Tensor:
        """Apply the image processor's mean/std inside torch, so gradients reach ``pixels``."""
        image_processor = self.processor.image_processor
        mean = torch.tensor(image_processor.image_mean, device=pixels.device, dtype=pixels.dtype).view(1, -1, 1, 1)
        std = torch.tensor(image_processor.image_std, device=pixels.device, dtype=pixels.dtype).view(1, -1, 1, 1)
        return (pixels - mean) / std

    def _target_ids(self, prompt: str, target: str, shape: tuple[int, ...]) -> TargetInputs:
        """Token ids of prompt + target (one user turn, images first), the target's labels, the other inputs."""
        if not target.strip():
            raise BackendError("the target is empty", "give the answer whose likelihood the loss measures")
        key = (prompt, target, shape)
        if key in self._token_cache:
            return self._token_cache[key]
        ids, prompt_length, extras = prompt_target_ids(self.processor, prompt, target, shape[0], (shape[3], shape[2]))
        full_ids = torch.tensor(ids)
        labels = full_ids.clone()
        labels[:prompt_length] = -100
        if len(self._token_cache) >= _TOKEN_CACHE_SIZE:
            self._token_cache.clear()
        self._token_cache[key] = (full_ids.unsqueeze(0), labels.unsqueeze(0), extras)
        return self._token_cache[key]

    def loss_from_pixels(self, pixels: torch.Tensor, prompt: str, target: str) -> torch.Tensor:
        """Cross-entropy of ``target`` after the chat-formatted prompt, differentiable in ``pixels``.

        Args:
            pixels: (N, 3, H, W) in [0, 1] as given by :meth:`pixel_inputs`, N images of one user turn.
            prompt: The user text (after the images).
            target: The answer whose likelihood is measured, continued from the assistant prefix.

        Returns:
            A scalar tensor; ``backward()`` fills ``pixels.grad`` when ``pixels.requires_grad``.
        """
        self.check_white_box()
        model = self.model
        if pixels.ndim != 4:
            raise BackendError(f"pixels must be NCHW, got shape {tuple(pixels.shape)}")
        ids, labels, extras = self._target_ids(prompt, target, tuple(pixels.shape))
        ids, labels = ids.to(model.device), labels.to(model.device)
        inputs = {name: value.to(model.device) for name, value in extras.items()}
        pixel_values = self.normalize(pixels.to(model.device)).to(model.dtype)
        with oom_guard("computing the loss", _empty_cuda_cache):
            out = model(
                input_ids=ids, attention_mask=torch.ones_like(ids), pixel_values=pixel_values, labels=labels, **inputs
            )
        loss: torch.Tensor = out.loss
        return loss

    def loss(self, images: Sequence[ImageInput] | torch.Tensor, prompt: str, target: str) -> torch.Tensor:
        """Cross-entropy of ``target`` given images and prompt; see :meth:`loss_from_pixels`.

        Args:
            images: Images, or a pixel tensor from :meth:`pixel_inputs` (possibly perturbed, requiring grad).
            prompt: The user text.
            target: The answer to score.

        Returns:
            A scalar loss tensor.
        """
        pixels = images if isinstance(images, torch.Tensor) else self.pixel_inputs(images)
        return self.loss_from_pixels(pixels, prompt, target)
