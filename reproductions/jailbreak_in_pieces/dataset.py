r"""The text prompts of Jailbreak in Pieces (Shayegani et al., ICLR 2024, arXiv 2307.14539).

Upstream (erfanshayegani/Jailbreak-In-Pieces at ``b7b2bce812adada23f583f63f63e564f84d277c6``, read in the
stored fork danielkiely/Jailbreak-In-Pieces, which holds that commit), the README's inference example pairs
one image (``./images/meth_pill.png``, L99) with 16 generic prompts that refer to "the objects in the image"
(``JB_pieces_prompts``, README.md L80-96), each formatted as ``USER: <image>\n{prompt}\nASSISTANT:`` (L98).

lvlmkb deliberately does not ship those 16 texts (they are the authors' prose). Pass ``--data PATH`` to a
UTF-8 text file with one prompt per line: a local copy of the authors' 16 prompts, or your own.
Blank lines are skipped; every other line is kept verbatim (without its line ending).
"""

from __future__ import annotations

from pathlib import Path

from lvlmkb.eval import DatasetError, Sample, dataset

NAME = "jip-prompts"
CATEGORY = "jip"
UPSTREAM_README = (
    "https://github.com/erfanshayegani/Jailbreak-In-Pieces/blob/b7b2bce812adada23f583f63f63e564f84d277c6/"
    "README.md#L80-L96"
)


def parse_prompts(path: Path) -> list[Sample]:
    """Read a prompt list: one prompt per non-blank line.

    Args:
        path: A UTF-8 text file.

    Returns:
        One sample per prompt, ids ``"1"``, ``"2"``, ... in file order, the text in ``fields["prompt"]``.

    Raises:
        DatasetError: The file cannot be read or holds no prompt.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(
            f"cannot read {path}: {err}", "pass --data PATH to a UTF-8 text file, one prompt a line"
        ) from err
    prompts = [line for line in lines if line.strip()]
    if not prompts:
        raise DatasetError(f"{path} holds no prompt", "put one prompt per line")
    return [Sample(str(index), CATEGORY, {"prompt": prompt}) for index, prompt in enumerate(prompts, start=1)]


@dataset(NAME, fields=("prompt",), paper="shayegani2023jailbreakinpieces")
def load_prompts(data: Path | None = None) -> tuple[list[Sample], Path]:
    """The prompts in ``data`` (required: lvlmkb ships and downloads none); returns them and the file read."""
    if data is None:
        raise DatasetError(
            f"dataset '{NAME}' is the user's list of text prompts and is not shipped",
            "pass --data PATH to a text file with one prompt per line; the authors' 16 prompts are in "
            + UPSTREAM_README,
        )
    return parse_prompts(data), data
