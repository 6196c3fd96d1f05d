"""The plugin contract: what a reproduction declares (once, in its decorator) and what it implements.

An attack or benchmark is a class with a pydantic config whose every field names its upstream source
(``sourced(default, SRC.at(...))``), a list of deviations from the original, and a pure ``craft`` function
from a dataset sample to model inputs; a defense wraps any backend. Its identity (paper, version, default
dataset and judges, deviations) is given once, to :func:`attack`, :func:`benchmark` or :func:`defense`; its
config class is read from the type argument (``class FigStep(Method[FigStepConfig])``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeVar as TypeVar_

from lvlmkb.eval.backends.base import (
    Backend,
    GenerationRequest,
    GenerationResponse,
    GenerationSettings,
    ImageInput,
    Message,
    Part,
)
from lvlmkb.eval.datasets.base import Sample

if TYPE_CHECKING:
    from lvlmkb.eval.run.defended import DefendedBackend

MethodKind = Literal["attack", "defense", "benchmark"]


class MethodConfig(BaseModel):
    """Base of every method config: immutable, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


C = TypeVar_("C", bound=MethodConfig, default=MethodConfig, covariant=True)


@dataclass(frozen=True)
class Source:
    """Where a parameter comes from: repository, commit, file and a pointer inside it."""

    repo: str
    commit: str
    file: str
    where: str = ""

    def at(self, where: str, *, file: str | None = None) -> Source:
        """The same repository and commit, pointing at ``where`` (in ``file`` when another file of it)."""
        return dataclasses.replace(self, file=file or self.file, where=where)

    def cite(self) -> str:
        """``repo@commit7:file (where)``."""
        where = f" ({self.where})" if self.where else ""
        return f"{self.repo}@{self.commit[:7]}:{self.file}{where}"


def sourced(default: Any, source: Source, *, note: str = "", **constraints: Any) -> Any:
    """A config field with its default and the upstream place it comes from (shown on the card).

    ``note`` says how lvlmkb's value relates to the source when that is not plain; ``constraints`` are
    pydantic's (``ge=1``, ``min_length=1``, ...). Returns a pydantic ``Field``, so it is used as a default:
    ``font_size: int = sourced(80, SRC.at("text_to_image: ImageFont.truetype"))``.
    """
    extra: dict[str, Any] = {"source": source.cite()}
    if note:
        extra["note"] = note
    return Field(default, json_schema_extra=extra, **constraints)


@dataclass(frozen=True)
class Deviation:
    """A way in which lvlmkb differs from the original code, and why."""

    what: str
    why: str


@dataclass(frozen=True)
class CraftedInput:
    """Model inputs crafted from one sample: a text prompt and images, plus provenance."""

    sample_id: str
    category: str
    prompt: str
    images: tuple[ImageInput, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)
    system: str = ""
    """A system prompt sent before the user turn (none when empty)."""
    text_first: bool = False
    """Whether the user turn puts its text before its images (by default the images come first)."""

    def request(self, settings: GenerationSettings) -> GenerationRequest:
        """The request that sends this input: its system prompt, if any, then one user turn."""
        parts: tuple[Part, ...] = (self.prompt, *self.images) if self.text_first else (*self.images, self.prompt)
        system = (Message("system", (self.system,)),) if self.system else ()
        return GenerationRequest((*system, Message.user(*parts)), settings)


def config_from_type_argument(cls: type) -> type[MethodConfig] | None:
    """The config class given as the type argument of a plugin base (``Method[FigStepConfig]``), if any.

    A type variable (a generic intermediate base such as ``AttachedImageMethod[A]``) gives none: the class
    then inherits its base's ``Config``.
    """
    for base in getattr(cls, "__orig_bases__", ()):
        origin = typing.get_origin(base)
        if isinstance(origin, type) and issubclass(origin, Plugin):
            for argument in typing.get_args(base):
                if isinstance(argument, type) and issubclass(argument, MethodConfig):
                    return argument
    return None


class Plugin(ABC, Generic[C]):
    """What attacks, defenses and benchmarks share: identity, a sourced config and deviations.

    Subclass with the module's config class as the type argument (``class FigStep(Method[FigStepConfig])``):
    that class becomes ``Config`` and ``settings`` is the config with its own type. The identity below is
    set by the :func:`attack`, :func:`benchmark` or :func:`defense` decorator.
    """

    id: ClassVar[str]
    paper: ClassVar[str]
    kind: ClassVar[MethodKind]
    version: ClassVar[str]
    Config: ClassVar[type[MethodConfig]] = MethodConfig
    deviations: ClassVar[tuple[Deviation, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        config = config_from_type_argument(cls)
        if config is not None:
            cls.Config = config

    def __init__(self, config: MethodConfig | None = None) -> None:
        self.config: MethodConfig = config or self.Config()
        if not isinstance(self.config, self.Config):
            raise TypeError(f"{self.id} takes a {self.Config.__name__}, not a {type(self.config).__name__}")

    @property
    def settings(self) -> C:
        """The config, typed as the plugin's own config class (checked when the plugin is made)."""
        return cast(C, self.config)

    def provenance(self) -> dict[str, str]:
        """Hashes of assets the method used (fonts, files), recorded in the run record."""
        return {}

    def setting(self) -> str:
        """The name of this configuration as papers report it (matched against reported results)."""
        return ""

    def effective_config(self) -> dict[str, Any]:
        """The configuration as it took effect, which the run record shows (by default, the config itself)."""
        return self.config.model_dump(mode="json")

    def release(self) -> None:
        """Free what crafting held (e.g. an image generator) before the model under test loads."""

    def fingerprint(self) -> str:
        """Hash of id, version and config: two plugins with equal fingerprints behave the same."""
        payload = json.dumps([self.id, self.version, self.config.model_dump(mode="json")], sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @classmethod
    def card(cls) -> list[dict[str, str]]:
        """Every config parameter with its value and upstream source."""
        rows = []
        defaults = cls.Config().model_dump(mode="json")
        for name, info in cls.Config.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            rows.append(
                {
                    "name": name,
                    "value": json.dumps(defaults[name], ensure_ascii=False),
                    "source": str(extra.get("source", "")),
                    "note": str(extra.get("note", "")),
                }
            )
        return rows


class Method(Plugin[C]):
    """An attack or benchmark: turns each dataset sample into model inputs (see ``reproductions/figstep/attack.py``)."""

    default_dataset: ClassVar[str]
    default_judges: ClassVar[tuple[str, ...]]
    needs: ClassVar[tuple[str, ...]] = ()
    """The sample fields ``craft`` reads (declared with the decorator's ``needs=``)."""

    def needed_fields(self) -> tuple[str, ...]:
        """The sample fields this configuration reads; a dataset without them is refused before it loads."""
        return self.needs

    @abstractmethod
    def craft(self, sample: Sample) -> CraftedInput:
        """Build the model input for one sample."""


class Defense(Plugin[C]):
    """A defense is middleware around any model, so every attack x defense x model combination runs.

    The engine wraps the model (:class:`lvlmkb.eval.run.defended.DefendedBackend`); the defense only answers.
    """

    kind: ClassVar[MethodKind] = "defense"

    def wrap(self, backend: Backend) -> DefendedBackend:
        """``backend`` behind this defense, wrapped as a run wraps it (counted, traced)."""
        from lvlmkb.eval.run.defended import DefendedBackend

        return DefendedBackend(backend, self)

    def describe(self) -> dict[str, Any]:
        """What the defense itself runs (its own models, its similarity), recorded beside the model's description.

        The default is :meth:`provenance`; a defense with models of its own describes them (without loading).
        """
        return dict(self.provenance())

    def attach(self, target: Backend) -> None:
        """Prepare for ``target``, the model under test, before the first batch (load a detector, say).

        ``target`` is the model itself, not the counted view ``generate`` is given, so a defense can reuse
        its weights (CIDER's image encoder); the default does nothing.
        """

    @abstractmethod
    def generate(self, inner: Backend, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
        """Answer each request, asking ``inner`` (the model) as often as the defense needs.

        Returns one response per request, in order. A response's ``trace`` says what the defense did to that
        request: the prompt and images it finally sent, its check and its decision (JSON values), and
        ``refused_by_defense: True`` when the answer is the defense's own refusal rather than the model's.
        """


def as_it_is(sample: Sample, field: str, dataset: str, **meta: str) -> CraftedInput:
    """A benchmark's input that sends the data unchanged: the sample's ``field`` as the text, with its image.

    Raises:
        DatasetError: The sample has no such field.
        ImageFileError: Its image is missing or unreadable.
    """
    from lvlmkb.eval.datasets.base import DatasetError
    from lvlmkb.eval.media.imagefiles import sample_image

    text = sample.fields.get(field)
    if text is None:
        raise DatasetError(f"sample {sample.id} has no field {field}", f"use --dataset {dataset}")
    image = sample_image(sample, f"use --dataset {dataset}")
    return CraftedInput(sample.id, sample.category, text, (image,), dict(meta))


def last_user_index(request: GenerationRequest) -> int:
    """The index of the request's last user turn, the one a prompt defense rewrites.

    Raises:
        BackendError: the request has no user turn.
    """
    from lvlmkb.eval.backends.base import BackendError

    index = next((i for i in reversed(range(len(request.messages))) if request.messages[i].role == "user"), None)
    if index is None:
        raise BackendError("the request has no user turn to rewrite", "send at least one user turn")
    return index


def with_user_text(request: GenerationRequest, text: str) -> GenerationRequest:
    """The request with its last user turn's text replaced by ``text``; that turn's images stay, before it.

    Raises:
        BackendError: the request has no user turn.
    """
    index = last_user_index(request)
    parts: tuple[Part, ...] = (*request.messages[index].images, text)
    messages = (*request.messages[:index], Message("user", parts), *request.messages[index + 1 :])
    return dataclasses.replace(request, messages=messages)


def answer_unflagged(
    inner: Backend, requests: Sequence[GenerationRequest], traces: Sequence[dict[str, Any]], refusal: str
) -> list[GenerationResponse]:
    """A screening defense's answers: ``refusal`` where a trace says ``refused_by_defense``, else the model's.

    The unflagged requests go to ``inner`` in one batch (none when every request is flagged); each response
    carries its request's trace.
    """
    passed = [i for i, trace in enumerate(traces) if not trace.get("refused_by_defense")]
    answers = dict(zip(passed, inner.generate([requests[i] for i in passed]) if passed else [], strict=True))
    return [
        GenerationResponse(answers[i].text, answers[i].token_ids, dict(trace))
        if i in answers
        else GenerationResponse(refusal, (), dict(trace))
        for i, trace in enumerate(traces)
    ]


P = TypeVar("P", bound=Plugin)
MethodT = TypeVar("MethodT", bound=Method)
DefenseT = TypeVar("DefenseT", bound=Defense)


def _declare(
    cls: type[P],
    kind: MethodKind,
    *,
    paper: str,
    version: int | str,
    deviations: Sequence[Deviation],
    plugin_id: str | None,
) -> type[P]:
    from lvlmkb.eval.registry import register_plugin
    from lvlmkb.kb.plugin_scan import slug_of_module

    cls.id = slug_of_module(cls.__module__) if plugin_id is None else plugin_id
    cls.paper, cls.kind, cls.version, cls.deviations = paper, kind, str(version), tuple(deviations)
    register_plugin(cls)
    return cls


def attack(
    *,
    paper: str,
    version: int | str,
    dataset: str,
    judges: Sequence[str],
    deviations: Sequence[Deviation] = (),
    needs: Sequence[str] = (),
    id: str | None = None,
) -> Callable[[type[MethodT]], type[MethodT]]:
    """Declare and register an attack: its paper (a KB id), version, default dataset and judges, and deviations.

    ``needs`` names the sample fields ``craft`` reads. The id is the module's name with hyphens
    (``reproductions.visual_adv.attack`` -> ``visual-adv``) unless ``id`` is given.
    """
    return _method("attack", paper, version, dataset, judges, deviations, needs, id)


def benchmark(
    *,
    paper: str,
    version: int | str,
    dataset: str,
    judges: Sequence[str],
    deviations: Sequence[Deviation] = (),
    needs: Sequence[str] = (),
    id: str | None = None,
) -> Callable[[type[MethodT]], type[MethodT]]:
    """Declare and register a benchmark, with the same keywords as :func:`attack`."""
    return _method("benchmark", paper, version, dataset, judges, deviations, needs, id)


def _method(
    kind: Literal["attack", "benchmark"],
    paper: str,
    version: int | str,
    dataset: str,
    judges: Sequence[str],
    deviations: Sequence[Deviation],
    needs: Sequence[str],
    plugin_id: str | None,
) -> Callable[[type[MethodT]], type[MethodT]]:
    def declare(cls: type[MethodT]) -> type[MethodT]:
        cls.default_dataset, cls.default_judges, cls.needs = dataset, tuple(judges), tuple(needs)
        return _declare(cls, kind, paper=paper, version=version, deviations=deviations, plugin_id=plugin_id)

    return declare


def defense(
    *,
    paper: str,
    version: int | str,
    deviations: Sequence[Deviation] = (),
    id: str | None = None,
) -> Callable[[type[DefenseT]], type[DefenseT]]:
    """Declare and register a defense: its paper (a KB id), version and deviations; the id as for :func:`attack`."""

    def declare(cls: type[DefenseT]) -> type[DefenseT]:
        return _declare(cls, "defense", paper=paper, version=version, deviations=deviations, plugin_id=id)

    return declare
