"""``KEY=VALUE`` settings from the command line (``--set``, ``--defense-set``, ``--backend-option``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lvlmkb.errors import UsageError

if TYPE_CHECKING:
    from pydantic import ValidationError


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


def validation_problems(err: ValidationError) -> str:
    """A pydantic error as one line for a usage message: ``field: message; other.field: message``."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors(include_url=False))
