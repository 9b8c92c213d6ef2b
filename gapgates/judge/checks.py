"""Check, rule and decision types: the vocabulary of the *judge* step.

A :class:`RuleSpec` declares one rule as data (the evidence it reads, the policy limit, the comparison); its
``measure`` gives the :class:`Measured` values; :func:`gapgates.judge.rules.evaluate` turns each into a
:class:`Check`, which compares one computed value with one policy limit. A :class:`Decision` is the outcome
of all checks together. Checks and decisions are frozen and serialise to plain JSON with :meth:`to_dict`.
The measurements (:mod:`gapgates.measurements`) declare their rules with these types.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy, Rule

__all__ = ["Check", "CheckRepeats", "Decision", "Measure", "Measured", "Outcome", "RuleSpec", "Severity", "Status"]


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
class CheckRepeats:
    """Repeats of k-fold added because a check's interval straddled its limit.

    Attributes:
        added: Repeats added (each of ``folds`` fits).
        folds: Folds per repeat.
        budget: The most that could be added (``[gap] max_repeats``).
        low: Lower bound of the check's interval before the first added repeat.
        high: Upper bound of that interval.
        inconclusive: The interval still straddled the limit when the budget was spent.
    """

    added: int
    folds: int
    budget: int
    low: float
    high: float
    inconclusive: bool = False

    def describe(self) -> str:
        """One sentence: how many repeats were added, and why (or that they did not settle it)."""
        repeats = f"{self.added} extra repeat{'s' if self.added != 1 else ''} of {self.folds}-fold"
        first = f"the first interval [{self.low:.4g}, {self.high:.4g}] straddled the limit"
        if self.inconclusive:
            return f"Inconclusive: still straddling the limit after {repeats} (the budget, [gap] max_repeats; {first})."
        return f"After {repeats}: {first}."

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (a check's ``repeats`` in ``report.json``)."""
        return {
            "added": self.added,
            "folds": self.folds,
            "budget": self.budget,
            "low": _json_number(self.low),
            "high": _json_number(self.high),
            "inconclusive": self.inconclusive,
        }


@dataclass(frozen=True)
class Check:
    """One policy rule applied to one computed value.

    Attributes:
        name: Stable identifier, e.g. ``"gap:accuracy"`` or ``"label_noise"``.
        status: pass, warn, fail or skipped.
        value: The computed value compared with the limit (None when skipped).
        limit: The policy limit (None when the rule has none).
        message: One plain-language sentence saying what was found.
        margin: How far the value is on the passing side of the limit: ``limit − value`` for a
            ceiling, ``value − limit`` for a floor; negative when it fails (None without a comparison).
        repeats: The repeats of k-fold added because this check's interval straddled its limit.
        regime: For a gap over its limit judged in context (``[gap] mode = "contextual"``): ``harmful`` (a
            reference scores significantly better on the same folds: it blocks), ``benign`` (no reference beats it
            by more than ``max_cost`` beyond the folds' noise: a warning), ``inconclusive`` (beaten on average, not
            significantly), ``memorising`` (inconclusive,
            and the model interpolates its training rows: it blocks with ``on_inconclusive = "interpolating"`` or
            ``"established"``), ``established`` (inconclusive, and the gap's whole interval is over the limit: it
            blocks with ``on_inconclusive = "established"``); None otherwise.
    """

    name: str
    status: Status
    value: float | None
    limit: float | None
    message: str
    margin: float | None = None
    repeats: CheckRepeats | None = None
    regime: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used in ``report.json``."""
        return {
            "name": self.name,
            "status": self.status.value,
            "value": _json_number(self.value),
            "limit": _json_number(self.limit),
            "message": self.message,
            "margin": _json_number(self.margin),
            "repeats": None if self.repeats is None else self.repeats.to_dict(),
            **({} if self.regime is None else {"regime": self.regime}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Check:
        """Rebuild a check from :meth:`to_dict` output."""
        repeats = data.get("repeats")
        return cls(
            name=data["name"],
            status=Status(data["status"]),
            value=data.get("value"),
            limit=data.get("limit"),
            message=data.get("message", ""),
            margin=data.get("margin"),
            repeats=None if repeats is None else CheckRepeats(**repeats),
            regime=data.get("regime"),
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


@dataclass(frozen=True)
class Measured:
    """One value a rule compares with its limit.

    Attributes:
        check: The check's name (``"gap:accuracy"``).
        value: The value; None or NaN fails (it could not be computed).
        what: Plain-language name of the value, for the message.
        interval: ``(low, estimate, high)`` when the value is a bound of a confidence interval
            (the upper bound for a ceiling, the lower for a floor): such a check can straddle its
            limit, and more repeats of k-fold can decide it (:mod:`gapgates.judge.straddles`).
        metric: The scoring name the value is of, for limits set per metric (``[gap.per_metric.<name>]``).
    """

    check: str
    value: float | None
    what: str
    interval: tuple[float, float, float] | None = None
    metric: str | None = None


#: What a rule's ``measure`` returns: the values to judge, or a reason to skip the rule.
Measure = Callable[[Any, "Evidence", "Policy"], "Iterable[Measured] | str"]


@dataclass(frozen=True)
class RuleSpec:
    """One rule of the gate, as data.

    Attributes:
        name: Registry key; also the check name when the rule errors or is skipped.
        evidence: The evidence name (a measurement's, or a rule's own ``compute``) the rule reads.
        limit: Dotted path of the policy limit (``"section.field"``); the rule is off when it is None, or when the
            policy model has no such section (a measurement's own section in a policy model without it).
        measure: ``(evidence value, evidence, policy) -> [Measured, ...]``, or a string: why the rule
            is skipped.
        at_most: True when a value must be ≤ the limit, False when ≥.
        missing: Why the rule is skipped when its evidence was not computed (None: no check at all,
            for evidence that exists only in some runs, such as a holdout).
        required: Fail (instead of skip) when the evidence was not computed.
        checks: For rules that are not one comparison (the data-quality expectations):
            ``(evidence value, policy) -> [Check, ...]``, used instead of ``measure``.
        compute: For rules that bring their own measurement: ``(prepared, gap_result) -> float``,
            run by the pipeline's evidence step; its value is ``Evidence.measured[evidence]``.
        context: ``(failed check, evidence, policy) -> check``: judges a breach in the light of the rest of the
            evidence (the gap's contextual mode turns a gap that costs no held-out score into a warning).
    """

    name: str
    evidence: str
    limit: str | None = None
    measure: Measure | None = None
    at_most: bool = True
    missing: str | None = "It was not computed."
    required: bool = False
    checks: Callable[[Any, Policy], list[Check]] | None = None
    compute: Callable[[Any, Any], float | None] | None = None
    context: Callable[[Check, Evidence, Policy], Check] | None = None

    def _section(self, policy: Policy) -> tuple[Any, str] | None:
        section_name, field_name = str(self.limit).rsplit(".", 1)
        section: Any = policy
        for part in section_name.split("."):
            section = getattr(section, part, None)
            if section is None:
                return None
        return section, field_name

    def rule_of(self, policy: Policy, metric: str | None = None) -> tuple[Rule | None, Severity]:
        """The limit of this rule in a policy (None: off) and the severity a breach has; for one
        ``metric``, its ``[gap.per_metric.<metric>]`` limit where the section sets one."""
        found = None if self.limit is None else self._section(policy)
        if found is None:
            return None, Severity.BLOCK
        section, field_name = found
        if metric is not None and hasattr(section, "limits_of"):
            return section.limits_of(field_name, metric)
        rule = getattr(section, field_name)
        return rule, (section.severity_of(rule) if rule is not None else section.severity)

    def is_on(self, policy: Policy) -> bool:
        """Whether the policy sets this rule's limit, for every value or for one metric."""
        if self.limit is None:
            return self.checks is not None
        found = self._section(policy)
        if found is None:
            return False
        section, field_name = found
        per_metric = getattr(section, "per_metric", {})
        return getattr(section, field_name) is not None or any(
            getattr(limits, field_name, None) is not None for limits in per_metric.values()
        )
