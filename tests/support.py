"""Helpers shared by the engine's and the reproductions' tests: offline stages through the CLI, saved states."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from lvlmkb.cli import app
from tests.conftest import REPO


def saved_state(out_dir: Path) -> dict[str, Any]:
    """The ``state.json`` an image optimisation wrote in ``out_dir`` (it must exist)."""
    from lvlmkb.eval.run.attached_image import read_state

    state = read_state(out_dir)
    assert state is not None, f"no state.json in {out_dir}"
    return state


def invoke_stage(plugin: str, stage: str, *args: str, root: Path = REPO, **settings: object) -> Result:
    """``lvlmkb stage PLUGIN STAGE ARGS --set KEY=VALUE... --root ROOT`` through the CLI test runner (None: null)."""
    sets = [
        part for key, value in settings.items() for part in ("--set", f"{key}={'null' if value is None else value}")
    ]
    return CliRunner().invoke(app, ["stage", plugin, stage, *args, *sets, "--root", str(root)])


def reference_loss(backend: Any, image: Any, prompt: str, target: str, *, drop: tuple[str, ...] = ()) -> Any:
    """The model's own loss of ``target``: the processor's inputs for the image and chat text, labels on the target.

    ``drop`` leaves processor outputs out (to show that the white-box path needs them). ``backend`` is an
    :class:`~lvlmkb.eval.backends.hf.HFBackend`, ``image`` a PIL image; returns a scalar tensor.
    """
    import torch

    processor = backend.processor
    user = {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}
    answer = {"role": "assistant", "content": [{"type": "text", "text": target}]}
    prompt_text = processor.apply_chat_template([user], add_generation_prompt=True, tokenize=False)
    full_text = processor.apply_chat_template([user, answer], continue_final_message=True, tokenize=False)
    prepared = backend.prepare_image(image)
    bos = processor.tokenizer.bos_token
    special = not (bos and prompt_text.startswith(bos))
    prompt_ids = processor(text=prompt_text, images=[prepared], add_special_tokens=special)["input_ids"][0]
    inputs = processor(text=full_text, images=[prepared], add_special_tokens=special, return_tensors="pt")
    labels = inputs["input_ids"].clone()
    labels[0, : len(prompt_ids)] = -100
    kept = {name: value for name, value in inputs.items() if name not in drop}
    with torch.no_grad():
        return backend.model(**kept, labels=labels).loss
