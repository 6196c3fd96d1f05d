"""``KEY=VALUE`` settings from the command line (``--set``, ``--defense-set``, ``--backend-option``)."""

from __future__ import annotations

from typing import Any

from lvlmkb.errors import UsageError


def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` pairs to a dict; values are read as YAML scalars or lists (``80``, ``[760, 760]``)."""
    import yaml

    overrides: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"bad setting '{pair}'", "write it as KEY=VALUE, e.g. --set query_type=baseline")
        try:
            overrides[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as err:
            raise UsageError(f"bad value in setting '{pair}'", "quote strings that look like YAML syntax") from err
    return overrides
