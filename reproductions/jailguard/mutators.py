"""JailGuard's image mutators, its mutator policy ``PL`` and the answer similarities (helper of ``defense.py``).

Upstream (``JailGuard/utils/augmentations.py``) samples each mutator's strength with NumPy and then
calls a torchvision transform, which samples again with torch's generator. Here one NumPy
``Generator`` makes every draw, in upstream's order, and the transforms are re-implemented on PIL and
NumPy with torchvision's default arguments:

* ``RR`` ``rotation_image``: ``rate ~ U(0.1, 180)``; ``RandomRotation((0, rate))`` draws
  ``angle ~ U(0, rate)`` and calls PIL ``rotate`` counter-clockwise, nearest neighbour, no expansion,
  black fill. Bit-exact, since torchvision itself calls PIL here.
* ``BL`` ``blur_image``: kernel sizes ``kx, ky = 2 * randint(1, 5) - 1`` (1, 3, 5 or 7, width first);
  ``GaussianBlur`` draws ``sigma ~ U(0.1, 2.0)``, builds the normalised 1-D kernels on
  ``linspace(-(k - 1) / 2, (k - 1) / 2, k)``, pads by reflection and rounds back to ``uint8`` (half to
  even). Computed in float32 as a separable filter, so a pixel may differ from torchvision's conv2d
  by one grey level when its value falls on a rounding tie.
* ``RP`` ``posterize_image``: ``bits = randint(1, 3)`` (1 or 2); ``RandomPosterize`` applies PIL
  ``ImageOps.posterize`` with probability 0.5 and otherwise returns the image unchanged.
* ``PL`` ``policy_aug_image``: one ``u ~ U[0, 1)`` per variant; cumulative bounds ``0, 0.34, 0.79, 1``;
  ``find_index`` returns the bin with ``bounds[i] < u < bounds[i + 1]`` (strict on both sides) and -1
  otherwise, and index -1 selects the *last* mutator (posterization), as Python indexing does upstream.

Answer similarity (``utils/similarity.py: get_similarity``): upstream compares two answers with spaCy
``en_core_web_md`` (``Doc.similarity``: 1.0 for identical token sequences, 0.0 when a document has no
vector, else the cosine of the mean word vectors). ``spacy_similarity`` calls exactly that when spaCy and
the model are installed; ``char_ngram_cosine`` is lvlmkb's dependency-free stand-in with the same two
special cases and the cosine of character 3-gram counts.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lvlmkb.eval import UsageError

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image

MUTATORS = ("RR", "BL", "RP")


@dataclass(frozen=True)
class Levels:
    """The strength parameters of the three policy mutators (see ``JailGuardConfig`` for sources)."""

    level_min: float = 0.1
    rotation_level: float = 180.0
    blur_level: int = 5
    blur_sigma: tuple[float, float] = (0.1, 2.0)
    posterize_level: int = 3
    posterize_p: float = 0.5


def policy_index(u: float, probabilities: Sequence[float]) -> int:
    """Upstream's ``find_index`` over cumulative probabilities, with -1 mapped to the last mutator.

    Args:
        u: A uniform draw in [0, 1).
        probabilities: The policy's probabilities, in mutator order.

    Returns:
        The index of the mutator to apply.
    """
    bounds = [sum(probabilities[:i]) for i in range(len(probabilities) + 1)]
    for i in range(len(bounds) - 1):
        if bounds[i] < u < bounds[i + 1]:
            return i
    return len(probabilities) - 1


def rotate(image: Image, rng: np.random.Generator, levels: Levels) -> Image:
    """``rotation_image``: a random counter-clockwise rotation in [0, U(0.1, 180)] degrees."""
    from PIL import Image as PILImage

    rate = rng.uniform(levels.level_min, levels.rotation_level)
    angle = float(rng.uniform(0.0, rate))
    fill = (0,) * len(image.getbands())
    return image.rotate(angle, resample=PILImage.Resampling.NEAREST, expand=False, fillcolor=fill)


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    """The torchvision normalised 1-D Gaussian kernel of ``size`` taps, in float32."""
    import numpy as np

    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size, dtype=np.float32)
    pdf: np.ndarray = np.exp(-0.5 * (x / np.float32(sigma)) ** 2)
    kernel: np.ndarray = (pdf / pdf.sum()).astype(np.float32)
    return kernel


def gaussian_blur(image: Image, kx: int, ky: int, sigma: float) -> Image:
    """Blur with a ``kx`` (width) by ``ky`` (height) Gaussian kernel, reflect padding, uint8 rounding."""
    import numpy as np
    from PIL import Image as PILImage

    pixels = np.asarray(image, dtype=np.float32)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    height, width = pixels.shape[:2]
    padded = np.pad(pixels, ((ky // 2, ky // 2), (kx // 2, kx // 2), (0, 0)), mode="reflect")
    across = np.zeros((padded.shape[0], width, pixels.shape[2]), dtype=np.float32)
    for i, weight in enumerate(gaussian_kernel(kx, sigma)):
        across += weight * padded[:, i : i + width]
    out = np.zeros_like(pixels)
    for i, weight in enumerate(gaussian_kernel(ky, sigma)):
        out += weight * across[i : i + height]
    result = np.clip(np.round(out), 0, 255).astype(np.uint8)
    return PILImage.fromarray(result[:, :, 0] if result.shape[2] == 1 else result)


def blur(image: Image, rng: np.random.Generator, levels: Levels) -> Image:
    """``blur_image``: odd kernel sizes in {1, 3, 5, 7} for width and height, ``sigma ~ U(0.1, 2.0)``."""
    kx = 2 * int(rng.integers(1, levels.blur_level)) - 1
    ky = 2 * int(rng.integers(1, levels.blur_level)) - 1
    sigma = float(rng.uniform(*levels.blur_sigma))
    return gaussian_blur(image, kx, ky, sigma)


def posterize(image: Image, rng: np.random.Generator, levels: Levels) -> Image:
    """``posterize_image``: keep 1 or 2 bits per channel, applied with probability 0.5."""
    from PIL import ImageOps

    bits = int(rng.integers(1, levels.posterize_level))
    if rng.uniform() < levels.posterize_p:
        return ImageOps.posterize(image, bits)
    return image.copy()


def mutate(image: Image, rng: np.random.Generator, probabilities: Sequence[float], levels: Levels) -> tuple[str, Image]:
    """One draw of the policy ``PL``: pick a mutator, then apply it with its own random strength.

    Args:
        image: The input image (not modified).
        rng: The generator every draw comes from.
        probabilities: Probabilities of ``RR``, ``BL`` and ``RP``, in that order.
        levels: The mutators' strength parameters.

    Returns:
        The mutator's code and the mutated image.
    """
    name = MUTATORS[policy_index(float(rng.random()), probabilities)]
    apply = {"RR": rotate, "BL": blur, "RP": posterize}[name]
    return name, apply(image, rng, levels)


def _ngrams(text: str, n: int = 3) -> dict[str, int]:
    text = text.lower()
    grams: dict[str, int] = {}
    for i in range(max(1, len(text) - n + 1) if text else 0):
        gram = text[i : i + n]
        grams[gram] = grams.get(gram, 0) + 1
    return grams


def char_ngram_cosine(texts: Sequence[str]) -> np.ndarray:
    """Stand-in similarity: cosine of lowercased character 3-gram counts (1.0 for equal texts, 0.0 if empty).

    Args:
        texts: The (cut) answers.

    Returns:
        The symmetric similarity matrix.
    """
    import numpy as np

    grams = [_ngrams(text) for text in texts]
    vocabulary = {g: i for i, g in enumerate(sorted({g for counts in grams for g in counts}))}
    vectors = np.zeros((len(texts), len(vocabulary)))
    for row, counts in enumerate(grams):
        for gram, count in counts.items():
            vectors[row, vocabulary[gram]] = count
    norms = np.linalg.norm(vectors, axis=1)
    matrix = np.zeros((len(texts), len(texts)))
    for i in range(len(texts)):
        for j in range(len(texts)):
            if texts[i] == texts[j]:
                matrix[i, j] = 1.0
            elif norms[i] > 0 and norms[j] > 0:
                matrix[i, j] = vectors[i] @ vectors[j] / (norms[i] * norms[j])
    return matrix


@functools.cache
def spacy_model(name: str = "en_core_web_md") -> Any:
    """The spaCy pipeline upstream uses, loaded once; a clear error when spaCy or the model is missing."""
    hint = f"pip install spacy && python -m spacy download {name}, or --set similarity=char-ngram-cosine"
    try:
        spacy = importlib.import_module("spacy")
    except ImportError as err:
        raise UsageError("JailGuard's spaCy similarity needs the 'spacy' package", hint) from err
    try:
        return spacy.load(name)
    except OSError as err:
        raise UsageError(f"the spaCy model '{name}' is not installed", hint) from err


def spacy_similarity(texts: Sequence[str]) -> np.ndarray:
    """Upstream's similarity: ``nlp(a).similarity(nlp(b))`` with ``en_core_web_md`` for every pair."""
    import numpy as np

    nlp = spacy_model()
    docs = [nlp(text) for text in texts]
    return np.array([[float(a.similarity(b)) for b in docs] for a in docs])
