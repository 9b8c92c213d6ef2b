"""The *enforce* step: register the candidate and act on the decision.

compute → judge → **enforce**: :func:`enforce` stores the run's final model as a
new registry version, then switches ``production`` to it only when the decision
is ``promote`` and promotion was asked for; every other outcome is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gapgates.registry.base import Registry
from gapgates.runner import RunResult

__all__ = ["Enforcement", "enforce"]


@dataclass(frozen=True)
class Enforcement:
    """What enforcement did.

    Attributes:
        version: The version the candidate was registered as.
        promoted: Whether production was switched to it.
        production: The production version afterwards (None when there is none).
    """

    version: str
    promoted: bool
    production: str | None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``registry`` section."""
        return {"version": self.version, "promoted": self.promoted, "production": self.production}


def enforce(result: RunResult, registry: Registry, *, promote: bool, actor: str = "gapgates") -> Enforcement:
    """Register the candidate of ``result``; promote it when the decision allows and ``promote`` is set."""
    raise NotImplementedError
