"""samples → attack → backend (cached, resumable) → judges → run record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lvlmkb import __version__
from lvlmkb.errors import LvlmkbError, UsageError
from lvlmkb.eval.backends.base import (
    Backend,
    BackendOutOfMemoryError,
    GenerationRequest,
    GenerationSettings,
)
from lvlmkb.eval.backends.registry import BackendOptions, backend_name, served_model
from lvlmkb.eval.context import RunContext
from lvlmkb.eval.datasets.base import Sample
from lvlmkb.eval.datasets.hub import origin_of
from lvlmkb.eval.datasets.registry import LoadedDataset, load_dataset
from lvlmkb.eval.judges.base import Judge
from lvlmkb.eval.judges.registry import default_registry
from lvlmkb.eval.overrides import validation_problems
from lvlmkb.eval.plugin import CraftedInput, Defense, Method, MethodConfig, Plugin
from lvlmkb.eval.querying import QueryAttack
from lvlmkb.eval.registry import get_defense, get_method
from lvlmkb.eval.run.carry import carry_rejudged
from lvlmkb.eval.run.defended import DefendedBackend
from lvlmkb.eval.run.preflight import check_dataset_fields, check_judges
from lvlmkb.eval.run.provenance import environment
from lvlmkb.eval.run.query_loop import LoopIO, run_loop
from lvlmkb.eval.run.records import (
    Counts,
    DatasetInfo,
    DeviationInfo,
    GenerationInfo,
    ModelInfo,
    PluginInfo,
    Provenance,
    QueryRecord,
    ReportedNumber,
    RunRecord,
    SampleRecord,
    VerdictRecord,
    aggregate,
)
from lvlmkb.eval.run.store import RunCache, shared_path
from lvlmkb.fsio import remove_stale_temps, write_atomic

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunSpec:
    """What ``lvlmkb reproduce`` was asked to run; how each role's model opens is the :class:`RunContext`'s."""

    method: str
    model: str
    dataset: str | None = None
    data: Path | None = None
    judges: tuple[str, ...] = ()
    judge_model: str | None = None
    limit: int | None = None
    batch_size: int = 8
    out: Path | None = None
    fresh: bool = False
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    judge_settings: dict[str, Any] = field(default_factory=dict)
    """``--judge-set`` values; each judge takes the keys its settings model declares."""
    config: dict[str, Any] = field(default_factory=dict)
    defense: str | None = None
    defense_config: dict[str, Any] = field(default_factory=dict)


class RunInterruptedError(LvlmkbError):
    """Ctrl-C during generation; what was generated is cached and the next run resumes from it."""

    exit_code = 130


@dataclass
class RunResult:
    """The written record and how many model calls this invocation made."""

    record: RunRecord
    out: Path
    model_calls: int
    dropped_judges: tuple[str, ...] = ()
    """Judges ``lvlmkb rejudge`` had added that no longer match the responses, so were not kept."""


def default_out(ctx: RunContext, spec: RunSpec, dataset: str, fingerprint: str) -> Path:
    """``runs/<method>/<model>/<dataset>[-limitN][+<defense>]-<fingerprint[:8]>`` under the checkout.

    The short configuration hash keeps runs of different settings (``--set variant=sd`` and ``typo``,
    ``--max-new-tokens 64`` and ``32``) in different folders, so neither replaces the other's record.
    """
    suffix = f"-limit{spec.limit}" if spec.limit is not None else ""
    defense = f"+{spec.defense}" if spec.defense else ""
    name = f"{dataset}{suffix}{defense}-{fingerprint[:FINGERPRINT_CHARS]}"
    return ctx.project.root / "runs" / spec.method / spec.model / name


FINGERPRINT_CHARS = 8
CONFIG_FILE = "config.json"


def run_configuration(
    ctx: RunContext, spec: RunSpec, method: Method, defense: Defense | None, dataset: LoadedDataset
) -> dict[str, Any]:
    """Everything that decides a run's results: what a run folder belongs to.

    The batch size and the judges are left out: generations are cached per request, and judging can
    be redone on the same generations, so neither makes the folder's record belong to another run.
    """
    entry, options = ctx.model(spec.model), ctx.options_for("target")
    backend = backend_name(entry, options)
    return {
        "method": {"id": method.id, "version": method.version, "config": method.config.model_dump(mode="json")},
        "defense": _plugin_info(defense) if defense else None,
        "dataset": {"name": dataset.name, "sha256": dataset.sha256, "limit": spec.limit},
        "model": {"alias": entry.id, "checkpoint": entry.checkpoint, "revision": entry.revision},
        "backend": {
            "name": backend,
            "served_model": served_model(entry, options) if backend == "openai" else None,
            "device": options.device,
            "dtype": options.dtype,
            "trust_remote_code": options.trust_remote_code,
            "base_url": options.base_url,
            # naming the default step is the same run: it is not part of the key
            "options": {k: v for k, v in options.extra.items() if (k, v) != ("preprocessing", "original")},
            "preprocessing": _preprocessing_id(entry.family, options) if backend == "hf" else None,
        },
        "generation": dataclasses.asdict(spec.settings),
    }


def _preprocessing_id(family: str | None, options: BackendOptions) -> str:
    """The image step the family's original code runs before the processor (a run of another is another run)."""
    from lvlmkb.eval.backends.preprocessing import preprocessing_for

    return preprocessing_for(family, str(options.extra.get("preprocessing", "original"))).id


def generation_context(configuration: dict[str, Any]) -> dict[str, Any]:
    """What a response depends on besides its request (whose key holds the prompt, images and settings).

    Runs with the same context share one generation file; the engine version is part of it because a
    backend's preprocessing may change between versions.
    """
    return {"model": configuration["model"], "backend": configuration["backend"], "lvlmkb": __version__}


def fingerprint(configuration: dict[str, Any]) -> str:
    """sha256 of the configuration as canonical JSON."""
    canonical = json.dumps(configuration, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_reproduction(
    ctx: RunContext, spec: RunSpec, progress: Progress | None = None, backend: Backend | None = None
) -> RunResult:
    """Run a reproduction end to end; resumes from the generation cache in the output folder.

    ``ctx`` is the checkout (its plugins, model registry and published numbers) and every role's backend
    options; ``backend`` replaces the target model (tests pass a mock). Every argument is checked before a
    model opens.
    """
    if spec.batch_size < 1:
        raise UsageError("--batch-size must be at least 1", "pass a positive number")
    method_cls = get_method(ctx.reproductions_dir, spec.method)
    method = method_cls(make_config(method_cls, spec.config))
    defense = _defense(ctx, spec)
    ctx.check_models(spec.model, spec.judge_model)  # before the alias becomes part of a folder name
    check_judges(_judge_ids(spec, method), spec.judge_model, spec.judge_settings)
    if isinstance(method, QueryAttack):
        for alias in method.auxiliary_models().values():
            ctx.check_models(alias)
    check_dataset_fields(method, spec.dataset or method_cls.default_dataset)
    dataset = load_dataset(spec.dataset or method_cls.default_dataset, spec.data, spec.limit)
    configuration = run_configuration(ctx, spec, method, defense, dataset)
    config_hash = fingerprint(configuration)
    out = check_run_folder(spec.out or default_out(ctx, spec, dataset.name, config_hash), config_hash)
    claim_run_folder(out, config_hash, configuration)
    shared = shared_path(fingerprint(generation_context(configuration)))
    store = RunCache(out / "generations.jsonl", shared, fresh=spec.fresh)
    generation = _Generation(store, CacheKeyer(defense), spec.batch_size, lambda: _open(ctx, spec, defense, backend))
    keyer = generation.keyer
    if isinstance(method, QueryAttack):
        judges, loop = _run_loop(ctx, spec, method, dataset.samples, generation, progress, out)
        crafted, requests, known = loop.crafted, loop.requests, loop.known
    else:
        crafted = [method.craft(sample) for sample in dataset.samples]
        method.release()
        requests = [c.request(spec.settings) for c in crafted]
        with _resumable(out, store, [keyer(r) for r in requests]):
            generation.run(requests, progress, len(requests))
        judges, known = _judges(ctx, spec, method), [_Known() for _ in crafted]
    reused = store.adopt(keyer(r) for r in requests)
    samples = {sample.id: sample for sample in dataset.samples}
    rows = [
        _row(c, samples[c.sample_id], keyer(r), store, judges, k)
        for c, r, k in zip(crafted, requests, known, strict=True)
    ]
    backend, calls = generation.backend, generation.calls
    record = _record(ctx, spec, method, defense, dataset, backend, judges, rows)
    model_requests = backend.inner.requests if isinstance(backend, DefendedBackend) else calls
    update = {"generated": calls, "model_requests": model_requests, "from_shared_cache": reused}
    counts = record.counts.model_copy(update=update)
    record = record.model_copy(update={"fingerprint": config_hash, "counts": counts})
    carried = carry_rejudged(out, record, rows)
    _write(out, carried.record, carried.rows)
    return RunResult(carried.record, out, calls, carried.dropped)


RUN_FILES = ("run.json", "samples.jsonl", "generations.jsonl", CONFIG_FILE)
NEW_FOLDER_HINT = "choose a new or empty folder with --out, or leave --out out for a folder of its own"


def check_run_folder(out: Path, config_hash: str | None = None) -> Path:
    """Refuse a folder that holds anything but a run of this configuration; a run never replaces another's files.

    Without ``config_hash`` only foreign files are refused (the check used before a configuration is known).
    """
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder", NEW_FOLDER_HINT)
    remove_stale_temps(out, RUN_FILES)  # left by a run killed between writing a file and renaming it
    if not out.is_dir():
        return out
    foreign = sorted(p.name for p in out.iterdir() if p.name not in RUN_FILES or not p.is_file())
    if foreign:
        shown = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
        raise UsageError(f"--out {out} holds files lvlmkb did not write ({shown})", NEW_FOLDER_HINT)
    if config_hash is not None:
        found = _folder_fingerprint(out)
        if found is not None and found != config_hash:
            raise UsageError(
                f"--out {out} holds a run of another configuration ({found[:FINGERPRINT_CHARS]}, this one is "
                f"{config_hash[:FINGERPRINT_CHARS]}); its record is kept",
                NEW_FOLDER_HINT,
            )
    return out


def _folder_fingerprint(out: Path) -> str | None:
    """The configuration hash a run folder belongs to; a record lvlmkb cannot match counts as another run's."""
    for name in (CONFIG_FILE, "run.json"):
        path = out / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return "unreadable " + name
        found = data.get("fingerprint") if isinstance(data, dict) else None
        return found if isinstance(found, str) else f"unknown ({name} names no configuration)"
    return None


def claim_run_folder(out: Path, config_hash: str, configuration: dict[str, Any]) -> None:
    """Write ``config.json`` (the fingerprint and what it hashes) before any generation is cached there."""
    if (out / CONFIG_FILE).is_file():
        return
    payload = {"fingerprint": config_hash, "configuration": configuration}
    write_atomic(out / CONFIG_FILE, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


def make_config(method_cls: type[Plugin], overrides: dict[str, Any]) -> MethodConfig:
    """The method's config with ``--set`` overrides applied and validated."""
    try:
        return method_cls.Config(**overrides)
    except ValidationError as err:
        raise UsageError(
            f"bad --set for {method_cls.id}: {validation_problems(err)}", "see `lvlmkb methods --format json`"
        ) from err


class CacheKeyer:
    """Cache key of a request: its own hash, or with a defense, the hash of both."""

    def __init__(self, defense: Defense | None) -> None:
        self.salt = defense.fingerprint() if defense else ""

    def __call__(self, request: GenerationRequest) -> str:
        """The key under which the response to ``request`` is cached."""
        key = request.key()
        return hashlib.sha256(f"{key}:{self.salt}".encode()).hexdigest() if self.salt else key


@dataclass
class _Known:
    """What the loop already knows of a sample's row: its attempts, and its feedback judge's verdict by id."""

    queries: list[QueryRecord] | None = None
    verdicts: dict[str, VerdictRecord] = field(default_factory=dict)


@dataclass
class _LoopRows:
    crafted: list[CraftedInput]
    requests: list[GenerationRequest]
    known: list[_Known]


class _Generation:
    """Generates what the cache lacks, opening the model (behind the defense) on the first miss."""

    def __init__(self, store: RunCache, keyer: CacheKeyer, batch_size: int, open_model: Callable[[], Backend]) -> None:
        self.store, self.keyer, self.batch_size, self.open_model = store, keyer, batch_size, open_model
        self.backend: Backend | None = None
        self.calls = 0

    def run(self, requests: Sequence[GenerationRequest], progress: Progress | None = None, total: int = 0) -> None:
        """Generate and cache the uncached ones among ``requests``, each once."""
        pending = _unique_pending(requests, self.store, self.keyer)
        if pending and self.backend is None:
            self.backend = self.open_model()
        self.calls += _generate(self.backend, pending, self.store, self.keyer, self.batch_size, progress, total)

    def answer(self, request: GenerationRequest) -> str:
        """The cached response to ``request``."""
        return self.store.get(self.keyer(request)).text


def _open(ctx: RunContext, spec: RunSpec, defense: Defense | None, backend: Backend | None) -> Backend:
    """The model under test (``backend`` when a test passes one), behind the defense."""
    opened = backend or ctx.open_model(spec.model)
    return defense.wrap(opened) if defense else opened


@contextmanager
def _resumable(out: Path, store: RunCache, keys: Sequence[str] | None = None) -> Iterator[None]:
    """Turn Ctrl-C during generation into :class:`RunInterruptedError`, saying how much is cached."""
    try:
        yield
    except KeyboardInterrupt:
        cached = f"{store.known(set(keys))}/{len(set(keys))} requests" if keys is not None else "the responses so far"
        raise RunInterruptedError(
            f"interrupted: {cached} cached in {out}", "run the same command again to resume"
        ) from None


def _run_loop(
    ctx: RunContext,
    spec: RunSpec,
    method: QueryAttack,
    samples: Sequence[Sample],
    generation: _Generation,
    progress: Progress | None,
    out: Path,
) -> tuple[list[Judge], _LoopRows]:
    """An attack in the loop: its attempts, steered by its feedback judge; returns the run's judges and rows."""
    ids = _judge_ids(spec, method)
    every = dict(zip(ids, make_judges(ctx, ids, spec.judge_model, spec.judge_settings), strict=True))
    feedback = every[method.feedback_judge()]
    method.use_models({name: ctx.open_model(alias, "auxiliary") for name, alias in method.auxiliary_models().items()})
    io = LoopIO(generation.run, generation.answer, generation.keyer, progress)
    with _resumable(out, generation.store):
        loop = run_loop(method, samples, feedback, spec.settings, io)
    method.release()
    judges = [every[i] for i in (spec.judges or method.default_judges)]
    known = [_Known(q, {feedback.id: v}) for q, v in zip(loop.queries, loop.verdicts, strict=True)]
    return judges, _LoopRows(loop.crafted, loop.requests, known)


def _judge_ids(spec: RunSpec, method: Method) -> list[str]:
    """The run's judges, then an attack in the loop's feedback judge when it is not among them."""
    ids = list(spec.judges or method.default_judges)
    if isinstance(method, QueryAttack) and method.feedback_judge() not in ids:
        ids.append(method.feedback_judge())
    return ids


def _defense(ctx: RunContext, spec: RunSpec) -> Defense | None:
    if spec.defense is None:
        return None
    cls = get_defense(ctx.reproductions_dir, spec.defense)
    return cls(make_config(cls, spec.defense_config))


def _unique_pending(
    requests: Sequence[GenerationRequest], store: RunCache, keyer: CacheKeyer
) -> list[GenerationRequest]:
    """The requests to generate, once each: those without a cached response.

    Behind a defense, a cached response without a trace (cached before traces were recorded) counts as
    missing: the sample's record would otherwise not say what the defense did.
    """
    seen: set[str] = set()
    pending = []
    for request in requests:
        key = keyer(request)
        cached = store.traced(key) if keyer.salt else key in store
        if not cached and key not in seen:
            seen.add(key)
            pending.append(request)
    return pending


def _generate(
    backend: Backend | None,
    pending: list[GenerationRequest],
    store: RunCache,
    keyer: CacheKeyer,
    batch_size: int,
    progress: Progress | None,
    total: int,
) -> int:
    """Generate in batches, halving the batch on out-of-memory; return the number of requests sent."""
    done = total - len(pending)
    if progress:
        progress(done, total)
    index, calls = 0, 0
    while index < len(pending):
        assert backend is not None
        batch = pending[index : index + batch_size]
        try:
            responses = backend.generate(batch)
        except BackendOutOfMemoryError:
            if batch_size == 1:
                raise
            batch_size //= 2
            continue
        store.add((keyer(r), resp) for r, resp in zip(batch, responses, strict=True))
        index += len(batch)
        calls += len(batch)
        if progress:
            progress(done + index, total)
    return calls


def _judges(ctx: RunContext, spec: RunSpec, method: Method) -> list[Judge]:
    return make_judges(ctx, spec.judges or method.default_judges, spec.judge_model, spec.judge_settings)


def make_judges(
    ctx: RunContext, judge_ids: Sequence[str], judge_model: str | None, settings: dict[str, Any]
) -> list[Judge]:
    """The judges ``judge_ids``: guard judges on the judge role's device and dtype, LLM judges asking ``judge_model``.

    ``settings`` are the ``--judge-set`` values; each judge takes the keys its settings model declares.
    """
    registry = default_registry()
    chosen = ctx.options_for("judge")
    options: dict[str, Any] = {"device": chosen.device, "dtype": chosen.dtype}  # guard judges load on these
    if judge_model is not None:
        options |= {"backend": ctx.open_model(judge_model, "judge"), "model": judge_model}
    shares = registry.split_settings(list(judge_ids), settings)
    return [registry.create(judge_id, options, shares.get(judge_id)) for judge_id in judge_ids]


def verdicts_of(judges: Sequence[Judge], sample: Sample, prompt: str, response: str) -> dict[str, VerdictRecord]:
    """Every judge's reading of ``response`` to the crafted ``prompt`` for ``sample``, by judge id."""
    verdicts = {}
    for judge in judges:
        verdict = judge.judge(sample, prompt, response)
        verdicts[judge.id] = VerdictRecord(success=verdict.success, label=verdict.label, rationale=verdict.rationale)
    return verdicts


def _row(
    crafted: CraftedInput, sample: Sample, key: str, store: RunCache, judges: list[Judge], known: _Known
) -> SampleRecord:
    generated = store.get(key)
    response = generated.text
    fresh = verdicts_of([j for j in judges if j.id not in known.verdicts], sample, crafted.prompt, response)
    verdicts = {j.id: known.verdicts[j.id] if j.id in known.verdicts else fresh[j.id] for j in judges}
    return SampleRecord(
        sample_id=crafted.sample_id,
        category=crafted.category,
        request_key=key,
        prompt_sha256=hashlib.sha256(crafted.prompt.encode("utf-8")).hexdigest(),
        image_sha256=[image.sha256 for image in crafted.images],
        prompt=crafted.prompt,
        response=response,
        defense=generated.trace,
        verdicts=verdicts,
        queries=known.queries,
    )


def _record(
    ctx: RunContext,
    spec: RunSpec,
    method: Method,
    defense: Defense | None,
    dataset: LoadedDataset,
    backend: Backend | None,
    judges: list[Judge],
    rows: list[SampleRecord],
) -> RunRecord:
    entry = ctx.model(spec.model)
    cls = type(method)
    environment_facts = environment(ctx.project.root)
    return RunRecord(
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        method=plugin_record(method),
        defense=plugin_record(defense) if defense else None,
        model=ModelInfo(
            alias=entry.id,
            checkpoint=entry.checkpoint,
            revision=entry.revision,
            backend=backend_name(entry, ctx.options_for("target")),
        ),
        backend=backend.describe() if backend is not None else {"note": "every response came from the cache"},
        dataset=DatasetInfo(
            name=dataset.name,
            path=str(dataset.path),
            data=str(spec.data) if spec.data is not None else None,
            sha256=dataset.sha256,
            origin=origin_of(dataset.path),
            samples=len(dataset.samples),
            limit=spec.limit,
        ),
        generation=GenerationInfo(**dataclasses.asdict(spec.settings), batch_size=spec.batch_size),
        provenance=Provenance(**environment_facts, plugin=method.provenance()),
        counts=Counts(samples=len(rows), unique_requests=len({r.request_key for r in rows})),
        aggregates=[aggregate(j.id, j.describe(), rows) for j in judges],
        reported=reported_results(ctx, cls.paper, spec.model, method.setting(), dataset.name),
    )


def plugin_record(plugin: Plugin) -> PluginInfo:
    """What the run record says about a plugin: identity, effective configuration, setting and deviations."""
    return PluginInfo(
        id=plugin.id,
        version=plugin.version,
        paper=plugin.paper,
        kind=plugin.kind,
        setting=plugin.setting(),
        config=plugin.effective_config(),
        deviations=[DeviationInfo(what=d.what, why=d.why) for d in plugin.deviations],
    )


def _plugin_info(plugin: Plugin) -> dict[str, Any]:
    return {
        "id": plugin.id,
        "version": plugin.version,
        "paper": plugin.paper,
        "config": plugin.config.model_dump(mode="json"),
        "deviations": [{"what": d.what, "why": d.why} for d in plugin.deviations],
    }


def reported_results(
    ctx: RunContext, paper_id: str, model: str, setting: str = "", dataset: str = ""
) -> list[ReportedNumber]:
    """Published numbers for this model, printed and stored beside ours (chosen by :mod:`lvlmkb.kb.results`)."""
    chosen = ctx.reported(paper_id, model, setting, dataset)
    return [ReportedNumber(paper=paper, **r.model_dump(mode="json")) for paper, r in chosen]


def _write(out: Path, record: RunRecord, rows: list[SampleRecord]) -> None:
    lines = "".join(row.model_dump_json() + "\n" for row in rows)
    write_atomic(out / "samples.jsonl", lines)
    write_atomic(out / "run.json", record.model_dump_json(indent=2) + "\n")
