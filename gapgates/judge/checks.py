"""Check and decision types: the vocabulary of the *judge* step.

A :class:`Check` compares one computed value with one policy limit. A
:class:`Decision` is the outcome of all checks together. Both are frozen and
serialise to plain JSON with :meth:`to_dict`.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Check", "Decision", "Outcome", "Severity", "Status"]


class Status(str, enum.Enum):
    """The result of one check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"


class Severity(str, enum.Enum):
    """What a failing rule does: ``block`` fails the gate, ``warn`` only warns."""

    BLOCK = "block"
    WARN = "warn"


class Outcome(str, enum.Enum):
    """The decision of the gate."""

    PROMOTE = "promote"
    BLOCK = "block"
    NEEDS_APPROVAL = "needs_approval"


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class Check:
    """One policy rule applied to one computed value.

    Attributes:
        name: Stable identifier, e.g. ``"gap:accuracy"`` or ``"label_noise"``.
        status: pass, warn, fail or skipped.
        value: The computed value compared with the limit (None when skipped).
        limit: The policy limit (None when the rule has none).
        message: One plain-language sentence saying what was found.
    """

    name: str
    status: Status
    value: float | None
    limit: float | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used in ``report.json``."""
        return {
            "name": self.name,
            "status": self.status.value,
            "value": _json_number(self.value),
            "limit": _json_number(self.limit),
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Check:
        """Rebuild a check from :meth:`to_dict` output."""
        return cls(
            name=data["name"],
            status=Status(data["status"]),
            value=data.get("value"),
            limit=data.get("limit"),
            message=data.get("message", ""),
        )


@dataclass(frozen=True)
class Decision:
    """The gate's verdict and the checks behind it.

    Attributes:
        outcome: promote, block or needs_approval.
        checks: Every check that was evaluated, in policy order.
    """

    outcome: Outcome
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def allows_promotion(self) -> bool:
        """True only when the outcome is ``promote``."""
        return self.outcome is Outcome.PROMOTE

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if c.status is Status.FAIL)

    @property
    def warnings(self) -> tuple[Check, ...]:
        """The checks that only warned."""
        return tuple(c for c in self.checks if c.status is Status.WARN)

    @property
    def reasons(self) -> list[str]:
        """Plain-language reasons: failures first, then warnings."""
        return [c.message for c in self.failed] + [c.message for c in self.warnings]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used in ``report.json``."""
        return {
            "outcome": self.outcome.value,
            "reasons": self.reasons,
            "checks": [c.to_dict() for c in self.checks],
        }

    @classmethod
    def from_checks(cls, checks: list[Check] | tuple[Check, ...], *, on_fail: Outcome) -> Decision:
        """Decide from checks: any failure gives ``on_fail``, otherwise promote.

        Args:
            checks: The evaluated checks.
            on_fail: ``Outcome.BLOCK`` or ``Outcome.NEEDS_APPROVAL``.

        Returns:
            The decision.
        """
        checks = tuple(checks)
        failed = any(c.status is Status.FAIL for c in checks)
        return cls(outcome=on_fail if failed else Outcome.PROMOTE, checks=checks)
