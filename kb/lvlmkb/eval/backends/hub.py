"""One quick probe of the Hugging Face hub before a download, so an unreachable hub fails in seconds.

Left to itself, ``from_pretrained`` retries an unreachable hub for minutes before it reports the
missing checkpoint. A single short request settles it first; the local cache and ``HF_HUB_OFFLINE=1``
skip the probe.
"""

from __future__ import annotations

import os

import httpx

from lvlmkb.eval.backends.base import BackendError

PROBE_TIMEOUT_S = 5.0
OFFLINE_HINT = (
    "set HF_HUB_OFFLINE=1 to load only from the local cache, or fetch the checkpoint where the hub is "
    "reachable and copy the Hugging Face cache here (HF_HOME)"
)


def is_cached(checkpoint: str, revision: str | None) -> bool:
    """True when the checkpoint's ``config.json`` is in the local Hugging Face cache."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(checkpoint, "config.json", revision=revision)
    return isinstance(found, str)


def ensure_hub_reachable(checkpoint: str, revision: str | None, client: httpx.Client | None = None) -> None:
    """Probe the hub once when ``checkpoint`` must be downloaded.

    Raises:
        BackendError: the hub did not answer within :data:`PROBE_TIMEOUT_S`, naming ``HF_HUB_OFFLINE=1``.
    """
    if os.environ.get("HF_HUB_OFFLINE") == "1" or is_cached(checkpoint, revision):
        return
    from huggingface_hub import constants

    url = f"{constants.ENDPOINT.rstrip('/')}/api/models/{checkpoint}"
    http = client or httpx.Client(timeout=PROBE_TIMEOUT_S, follow_redirects=False)
    try:
        http.head(url)
    except httpx.HTTPError as err:
        raise BackendError(
            f"checkpoint '{checkpoint}' is not cached and the hub ({constants.ENDPOINT}) cannot be reached "
            f"({type(err).__name__})",
            OFFLINE_HINT,
        ) from None
    finally:
        if client is None:
            http.close()
