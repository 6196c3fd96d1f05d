"""Commands made from another command's options: ``lvlmkb suite`` and ``lvlmkb matrix`` from ``reproduce``.

Typer reads a command's options from its signature, so a narrower command is the same function with some
parameters fixed (and hidden) and others re-annotated. The options are declared once, in ``reproduce``,
and cannot drift apart between the commands.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any


def narrowed(
    base: Callable[..., None],
    *,
    fixed: Mapping[str, Any],
    annotations: Mapping[str, Any] | None = None,
    required: frozenset[str] = frozenset(),
    check: Callable[[dict[str, Any]], None] | None = None,
    doc: str,
) -> Callable[..., None]:
    """``base`` with the parameters in ``fixed`` set (they leave the command line) and others re-annotated.

    Parameters in ``required`` lose their default; ``check`` sees the user's arguments before ``base`` runs
    (it raises to refuse them).
    """
    hints = typing.get_type_hints(base, include_extras=True)
    signature = inspect.signature(base)
    unknown = set(fixed) | set(annotations or {}) | required
    if missing := unknown - set(signature.parameters):
        raise TypeError(f"{base.__name__} has no parameter(s) {sorted(missing)}")
    kept = [
        parameter.replace(
            annotation=(annotations or {}).get(name, hints[name]),
            default=inspect.Parameter.empty if name in required else parameter.default,
        )
        for name, parameter in signature.parameters.items()
        if name not in fixed
    ]

    def command(**kwargs: Any) -> None:
        if check is not None:
            check(kwargs)
        base(**kwargs, **fixed)

    command.__signature__ = signature.replace(parameters=kept, return_annotation=None)  # type: ignore[attr-defined]
    command.__annotations__ = {parameter.name: parameter.annotation for parameter in kept}
    command.__doc__ = doc
    return command
