"""The models of a run or a stage by role: the target under test, its judge, a defense's defender, auxiliary models.

Each role has its own backend options (``--judge-base-url``, ``--defender-device``, ...); a role given none
runs on the target's device and dtype and nothing else of the target's (see
:func:`lvlmkb.eval.backends.registry.options_for_role`). Checks name the role's own flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from lvlmkb.errors import UsageError
from lvlmkb.eval.backends.registry import BackendOptions, check_runnable, model_entry, open_backend, options_for_role

if TYPE_CHECKING:
    from lvlmkb.eval.backends.base import Backend
    from lvlmkb.kb.knowledge import KnowledgeBase

Role = Literal["target", "judge", "defender", "auxiliary"]
ROLES: tuple[Role, ...] = ("target", "judge", "defender", "auxiliary")
FLAG_PREFIX: dict[Role, str] = {"target": "--", "judge": "--judge-", "defender": "--defender-", "auxiliary": "--aux-"}


def role_of_option(name: str) -> Role:
    """The role of a model a stage option names: ``defender`` (or ``judge``) by its name, else ``auxiliary``."""
    for role in ROLES[1:3]:
        if name == role:
            return role
    return "auxiliary"


@dataclass(frozen=True)
class RunContext:
    """The checkout and the backend options of every role, passed down to whatever opens a model."""

    kb: KnowledgeBase
    target: BackendOptions = field(default_factory=BackendOptions)
    own: Mapping[Role, BackendOptions] = field(default_factory=dict)
    """What the user gave for each non-target role (absent: nothing)."""

    def options_for(self, role: Role) -> BackendOptions:
        """The options a model of ``role`` opens with."""
        return self.target if role == "target" else options_for_role(self.target, self.own.get(role))

    def device(self, role: Role = "target") -> str | None:
        """The device of ``role``'s model (None: the backend's choice)."""
        return self.options_for(role).device

    def check_model(self, alias: str, role: Role = "target") -> str:
        """That ``alias`` can run in ``role`` with that role's device and dtype; returns its backend's name.

        Raises:
            UsageError, NotFoundError: the problem, its hint naming the role's own flags.
        """
        from lvlmkb.eval.run.preflight import check_device, check_dtype

        options, prefix = self.options_for(role), FLAG_PREFIX[role]
        try:
            backend = check_runnable(model_entry(self.kb, alias), options)
        except UsageError as err:
            if role == "target":
                raise
            raise UsageError(f"{role} model: {err.message}", err.hint.replace("--", prefix)) from err
        check_device(options.device, backend, f"{prefix}device")
        check_dtype(options.dtype, f"{prefix}dtype")
        return backend

    def open_model(self, alias: str, role: Role = "target") -> Backend:
        """The backend of ``alias`` with ``role``'s options (weights load on first use)."""
        return open_backend(self.kb, alias, self.options_for(role))
