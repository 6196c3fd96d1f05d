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
    from pathlib import Path

    from lvlmkb.eval.backends.base import Backend
    from lvlmkb.kb.knowledge import KnowledgeBase
    from lvlmkb.kb.schema import ModelEntry, ReportedResult
    from lvlmkb.project import Project

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

    @property
    def project(self) -> Project:
        """The checkout: its root (where ``runs/`` go) and its plugin folder."""
        return self.kb.project

    @property
    def reproductions_dir(self) -> Path:
        """The checkout's plugin folder, ``reproductions/``."""
        return self.kb.project.reproductions_dir

    def model(self, alias: str) -> ModelEntry:
        """The registry entry of ``alias`` (checkpoint, revision, backend) or a did-you-mean error."""
        return model_entry(self.kb, alias)

    def reported(
        self, paper: str, model: str, setting: str = "", dataset: str = ""
    ) -> list[tuple[str, ReportedResult]]:
        """The published numbers (each with its paper) a run of ``paper``'s method on ``model`` compares with."""
        from lvlmkb.eval.registry import datasets
        from lvlmkb.kb.results import published_for_run

        unreported = {name for name, entry in datasets().items() if entry.unreported}
        return published_for_run(self.kb, paper, model, setting, dataset, unreported)

    def published(self, paper: str, model: str) -> list[ReportedResult]:
        """Every number ``paper`` reported for ``model`` (a suite picks its cells from them)."""
        from lvlmkb.kb.results import published

        return published(self.kb, paper, model)

    def has_paper(self, paper: str) -> bool:
        """Whether ``paper`` is in the knowledge base."""
        return paper in self.kb.papers

    def check_models(self, model: str, judge_model: str | None = None) -> None:
        """The target ``model`` and the ``judge_model`` (with the judge's own options) can run.

        Raises:
            UsageError, NotFoundError: the first problem found.
        """
        self.check_model(model)
        if judge_model is not None:
            self.check_model(judge_model, "judge")

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
