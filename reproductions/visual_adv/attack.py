"""Visual Adversarial Examples (Qi et al., AAAI 2024, arXiv 2306.13213): one universal adversarial image.

Stage 1, :func:`optimize`: projected signed-gradient descent on the pixels of a clean image maximises
the likelihood of a user-supplied harmful corpus (8 targets drawn at random per step) after an empty
user instruction. It checkpoints every ``checkpoint_every`` steps and resumes from the last checkpoint.
Run it as ``lvlmkb stage visual-adv optimize --model ALIAS --set corpus=PATH --set image=PATH --out DIR``
(``--set epsilon=null`` for the unconstrained attack).

Stage 2, :class:`VisualAdv`: ``lvlmkb reproduce visual-adv --set adversarial_image=DIR/adversarial.png``
attaches that image to every evaluation instruction (dataset ``visual-adv-instructions``).

Every parameter cites the authors' LLaVA-LLaMA-2 attack (``llava_llama_v2_visual_attack.py`` and
``llava_llama_2_utils/visual_attacker.py``) at the pinned commit; both files last changed in 304467a.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from lvlmkb.eval import (
    FINAL,
    AttachedImageConfig,
    AttachedImageMethod,
    Deviation,
    ImageInput,
    Source,
    StageContext,
    UsageError,
    attack,
    open_rgb,
    pixels_png,
    resume_noise,
    save_noise_checkpoint,
    sha256_file,
    sourced,
    stage,
    write_atomic,
)

if TYPE_CHECKING:
    import torch

    from lvlmkb.eval import HFBackend

REPO = "Unispac/Visual-Adversarial-Examples-Jailbreak-Large-Language-Models"
COMMIT = "5fc9883cfa9b4183cf05c6eceef49e449e45e9c9"
ATTACK, ATTACKER = "llava_llama_v2_visual_attack.py", "llava_llama_2_utils/visual_attacker.py"
OnStep = Callable[[int, float], None]


class VisualAdvConfig(AttachedImageConfig):
    """The optimisation parameters of the original attack, and the image to evaluate."""

    epsilon: int | None = sourced(
        16,
        Source(
            REPO,
            COMMIT,
            "README.md",
            "L242 llava_llama_v2_visual_attack.py --n_iters 5000 --constrained --eps 16 --alpha 1",
        ),
        ge=1,
        le=255,
        note=f"in 1/255; null = unconstrained; the script's own defaults ({ATTACK}) are unconstrained (no "
        "--constrained flag) with --eps default 32",
    )
    alpha: int = sourced(1, Source(REPO, COMMIT, ATTACK, "--alpha default 1"), ge=1, le=255, note="in 1/255")
    iterations: int = sourced(5000, Source(REPO, COMMIT, ATTACK, "--n_iters default 5000"), ge=0)
    batch_size: int = sourced(8, Source(REPO, COMMIT, ATTACK, "attack_constrained(batch_size=8)"), ge=1)
    checkpoint_every: int = sourced(100, Source(REPO, COMMIT, ATTACKER, "if t % 100 == 0: save_image"), ge=1)
    text_prompt: str = sourced("", Source(REPO, COMMIT, ATTACK, "prepare_text_prompt('')"))
    corpus: Path | None = sourced(
        None,
        Source(REPO, COMMIT, ATTACK, "harmful_corpus/derogatory_corpus.csv"),
        note="user-supplied; first CSV column",
    )
    image: Path | None = sourced(
        None, Source(REPO, COMMIT, ATTACK, "template_img = 'adversarial_images/clean.jpeg'"), note="user-supplied"
    )
    seed: int = sourced(0, Source(REPO, COMMIT, ATTACK, "no seed is set upstream"), note="lvlmkb's choice")
    adversarial_image: Path | None = sourced(
        None,
        Source(
            REPO, COMMIT, "README.md", "L253 llava_llama_v2_inference.py --image_file path_to_the_adversarial_example"
        ),
    )


def load_corpus(path: Path) -> list[str]:
    """Targets read as upstream: the first column of each CSV row, verbatim; a non-CSV file gives one per line.

    Args:
        path: The corpus file (upstream: ``derogatory_corpus.csv``, 66 rows, no header).

    Returns:
        The target strings, in file order.
    """
    import csv

    try:
        with path.open(encoding="utf-8", newline="") as handle:
            if path.suffix.lower() == ".csv":
                targets = [row[0] for row in csv.reader(handle) if row and row[0].strip()]
            else:
                targets = [line.rstrip("\r\n") for line in handle if line.strip()]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise UsageError(f"cannot read the corpus {path}: {err}", "pass a UTF-8 CSV or text file") from err
    if not targets:
        raise UsageError(f"the corpus {path} holds no target", "put one target per line (CSV: first column)")
    return targets


def _required(path: Path | None, name: str) -> Path:
    if path is None or not path.is_file():
        raise UsageError(
            f"visual-adv needs the {name} file (got {path})", f"pass --set {name}=PATH to an existing file"
        )
    return path


def _initial_noise(clean: torch.Tensor, config: VisualAdvConfig) -> torch.Tensor:
    """Unconstrained: uniform [0, 1] (the noise is the image); constrained: uniform [-eps, eps], kept valid."""
    import torch

    generator = torch.Generator().manual_seed(config.seed)
    uniform = torch.rand(clean.shape, generator=generator, dtype=torch.float32).to(clean.device)
    if config.epsilon is None:
        return uniform
    eps = config.epsilon / 255
    return (uniform * 2 * eps - eps + clean).clamp(0, 1) - clean


def adversarial_pixels(clean: torch.Tensor, noise: torch.Tensor, config: VisualAdvConfig) -> torch.Tensor:
    """The image the model sees: the noise itself when unconstrained, else clean + noise."""
    return noise if config.epsilon is None else clean + noise


def pgd_step(
    backend: HFBackend, clean: torch.Tensor, noise: torch.Tensor, targets: Sequence[str], config: VisualAdvConfig
) -> float:
    """One signed-gradient step on ``noise`` (in place) for the mean loss of ``targets``; returns that loss."""
    import torch

    noise.requires_grad_(True)
    total = 0.0
    for target in targets:  # one target per pass; gradients accumulate in noise.grad
        loss = backend.loss_from_pixels(adversarial_pixels(clean, noise, config), config.text_prompt, target)
        (loss / len(targets)).backward()  # type: ignore[no-untyped-call]
        total += float(loss.detach()) / len(targets)
    assert noise.grad is not None
    with torch.no_grad():
        noise -= config.alpha / 255 * noise.grad.sign()
        if config.epsilon is None:
            noise.clamp_(0, 1)
        else:
            noise.clamp_(-config.epsilon / 255, config.epsilon / 255)
            noise.copy_((noise + clean).clamp(0, 1) - clean)
    noise.grad = None
    noise.requires_grad_(False)
    return total


def _identity(backend: HFBackend, config: VisualAdvConfig, corpus: Path, image: Path) -> dict[str, Any]:
    """What must not change between a run and its resumption (``iterations`` may grow)."""
    keep = ("epsilon", "alpha", "batch_size", "text_prompt", "seed")
    return {
        "checkpoint": backend.checkpoint,
        "revision": backend.revision,
        **{key: getattr(config, key) for key in keep},
        "corpus_sha256": sha256_file(corpus),
        "image_sha256": sha256_file(image),
    }


def optimize(backend: HFBackend, config: VisualAdvConfig, out_dir: Path, on_step: OnStep | None = None) -> Path:
    """Run (or resume) the attack; return the path of the final adversarial image.

    Steps are numbered 0 to ``iterations`` inclusive, as upstream's ``range(num_iter + 1)``. After step t,
    when t is a multiple of ``checkpoint_every`` or the last step, ``adv_step_{t}.png``, the exact float
    noise ``adv_step_{t}.pt`` and ``state.json`` are written; a rerun continues after the last of them.

    Args:
        backend: A white-box Hugging Face backend.
        config: The attack settings; ``corpus`` and ``image`` are required.
        out_dir: The run folder.
        on_step: Called with (step, loss) after every step (and after its checkpoint).

    Returns:
        ``out_dir / "adversarial.png"``, the image at model resolution, 8-bit rounded.
    """
    import torch

    corpus, image = _required(config.corpus, "corpus"), _required(config.image, "image")
    targets = load_corpus(corpus)
    if len(targets) < config.batch_size:
        raise UsageError(f"the corpus has {len(targets)} targets, fewer than a batch", "lower batch_size")
    clean = backend.pixel_inputs([ImageInput.from_pil(open_rgb(image))]).detach()
    identity = _identity(backend, config, corpus, image)
    state = resume_noise(out_dir, identity, config.iterations, "iterations")
    rng = random.Random(config.seed)  # noqa: S311 - repeatable sampling, not security
    if state is None:
        noise, start, losses = _initial_noise(clean, config), 0, []
    else:
        noise = torch.load(out_dir / f"adv_step_{state['step']}.pt", weights_only=True).to(clean.device)
        rng.setstate((state["rng"][0], tuple(state["rng"][1]), state["rng"][2]))
        start, losses = state["step"] + 1, list(state["losses"])
    for step in range(start, config.iterations + 1):
        losses.append(pgd_step(backend, clean, noise, rng.sample(targets, config.batch_size), config))
        if step % config.checkpoint_every == 0 or step == config.iterations:
            snapshot = {"identity": identity, "rng": rng.getstate(), "losses": losses}
            save_noise_checkpoint(out_dir, step, snapshot, adversarial_pixels(clean, noise, config), noise)
        if on_step is not None:
            on_step(step, losses[-1])
    write_atomic(out_dir / FINAL, pixels_png(adversarial_pixels(clean, noise, config)))
    return out_dir / FINAL


DEVIATIONS = (
    Deviation(
        "the perturbation lives in the backend processor's pixel space (resized and cropped, then normalised "
        "with the processor's mean/std inside torch)",
        "the original used its own copy of each model's CLIP preprocessing; lvlmkb's white-box path is the "
        "model's transformers processor, which for LLaVA applies the same resize, crop and CLIP mean/std",
    ),
    Deviation(
        "the loss of a step is the mean of the per-target losses, one forward/backward pass per target",
        "upstream padded the 8 targets into one batch, so its loss averaged over all target tokens and "
        "weighted long targets more; the backend scores one target per pass, which also saves memory",
    ),
    Deviation(
        "the harmful corpus, the clean image and the evaluation instructions are supplied by the user",
        "lvlmkb ships no harmful text; pass the authors' files (derogatory_corpus.csv, clean.jpeg, "
        "manual_harmful_instructions.csv) or your own",
    ),
    Deviation(
        "the chat template and the empty instruction come from the model's own processor",
        "the original built prompts with its own conversation code (MiniGPT-4, LLaVA-LLaMA-2 templates)",
    ),
    Deviation(
        "judge: a refusal-keyword judge by default",
        "the paper judged the 40 manual instructions by hand (100 samples each, temperature 1.0, 300 new "
        "tokens on MiniGPT-4) and RealToxicityPrompts with the Perspective API and Detoxify; neither runs offline",
    ),
    Deviation(
        "seeded target sampling and initial noise",
        "the LLaVA script sets no seed; a seed makes runs repeatable and resumable",
    ),
)
"""How this reproduction differs from the original, and why."""


@attack(
    paper="qi2023visualadv",
    version=1,
    dataset="visual-adv-instructions",
    judges=["refusal-gcg-advbench-29"],
    deviations=DEVIATIONS,
)
class VisualAdv(AttachedImageMethod[VisualAdvConfig]):
    """A universal adversarial image, optimised on a harmful corpus, attached to every instruction."""

    prompt_field: ClassVar[str] = "instruction"
    progress: ClassVar[tuple[str, str]] = ("iterations", "step")
    optimise_how: ClassVar[str] = (
        "lvlmkb stage visual-adv optimize --model ALIAS --set corpus=PATH --set image=PATH --out DIR"
    )

    def setting(self) -> str:
        """``constrained-16`` and the like, or ``unconstrained`` (from the image's run folder when present)."""
        epsilon = self.optimisation().get("epsilon", self.settings.epsilon)
        return "unconstrained" if epsilon is None else f"constrained-{epsilon}"

    @stage(
        "optimize",
        summary="Optimise (or resume) the universal adversarial image on a white-box model.",
        model="white-box",
    )
    def optimize_stage(self, ctx: StageContext) -> Path:
        """Run (or resume) :func:`optimize` in ``ctx.out``; the model's weights load after the inputs are read."""
        config = self.settings

        def report(step: int, loss: float) -> None:
            if step % config.checkpoint_every == 0 or step == config.iterations:
                ctx.report(f"step {step}/{config.iterations} loss {loss:.4f}")

        return optimize(ctx.white_box(), config, ctx.out, report)
