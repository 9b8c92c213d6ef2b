"""The monitor's judge: ``ok``, ``warn`` or ``retrain`` from the production evidence and the ``[monitor]`` policy.

The rules are data (:data:`MONITOR_RULES`), one per limit of ``[monitor]``; each reads the
:class:`MonitorEvidence` and compares its values with the limit through
:func:`gapgates.judge.rules.judge`, the same comparison the gate uses. A breached rule of
severity ``block`` fails (``retrain``); of severity ``warn``, warns. A value that could not be
computed fails: a monitor that cannot measure must not say ``ok``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gapgates.compute.drift import DriftResult
from gapgates.compute.estimate import EstimatedScore, PerformanceEstimate
from gapgates.compute.production import ProductionScore
from gapgates.judge.checks import Check, Severity, Status
from gapgates.judge.policy import MonitorPolicy, Rule
from gapgates.judge.rules import Measured, judge
from gapgates.quality.result import QualityResult

__all__ = ["MONITOR_RULES", "MonitorDecision", "MonitorEvidence", "MonitorOutcome", "MonitorRule", "decide"]


class MonitorOutcome(str, enum.Enum):
    """What the monitor decides about the production model."""

    OK = "ok"
    WARN = "warn"
    RETRAIN = "retrain"


@dataclass(frozen=True)
class MonitorEvidence:
    """What the monitor measured.

    Attributes:
        scores: The production model on the fresh rows, per metric.
        drift: Drift of the fresh rows from the training sample.
        quality: The data-quality result of the fresh rows, or None when not run.
        output_problems: Invalid outputs of the production model on the fresh rows.
        estimate: The score estimated without labels (a label-free run), or None.
    """

    scores: tuple[ProductionScore, ...]
    drift: DriftResult | None
    quality: QualityResult | None = None
    output_problems: tuple[str, ...] = ()
    estimate: PerformanceEstimate | None = None


@dataclass(frozen=True)
class MonitorDecision:
    """The monitor's verdict and the checks behind it.

    Attributes:
        outcome: ok, warn or retrain.
        checks: Every check evaluated, in rule order.
    """

    outcome: MonitorOutcome
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def reasons(self) -> list[str]:
        """Plain-language reasons: failures first, then warnings."""
        return [c.message for c in self.checks if c.status is Status.FAIL] + [
            c.message for c in self.checks if c.status is Status.WARN
        ]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``report.json`` ``decision_detail``)."""
        return {"outcome": self.outcome.value, "reasons": self.reasons, "checks": [c.to_dict() for c in self.checks]}


def _gap_value(score: ProductionScore | EstimatedScore, gate_on: str) -> float | None:
    """The value a gap check compares: the (measured or estimated) gap's mean or a bound of its interval."""
    low, high = score.gap_interval
    return {"mean": score.gap, "lower": low, "upper": high}[gate_on]


def _bound(gate_on: str, confidence: float, why: str = "") -> str:
    """The words a gap check's message adds for a bound of the interval (none for the mean), and why it was picked."""
    return "" if gate_on == "mean" else f" ({gate_on} bound of its {confidence:.0%} interval{why})"


def _gaps(ev: MonitorEvidence, policy: MonitorPolicy) -> list[Measured]:
    bound = _bound(policy.gate_on, policy.confidence)
    return [
        Measured(
            f"production_gap:{s.metric}",
            _gap_value(s, policy.gate_on),
            f"The production gap of {s.metric} (test score at promotion "
            f"{'?' if s.promoted is None else f'{s.promoted:.4g}'} − fresh {s.fresh:.4g}){bound}",
        )
        for s in ev.scores
    ]


def _drift_auc(ev: MonitorEvidence, policy: MonitorPolicy) -> list[Measured]:
    if ev.drift is None:
        return [Measured("drift_auc", None, "The drift AUC")]
    named = ", ".join(ev.drift.drifted[:5]) or "none named by the per-column tests"
    return [Measured("drift_auc", ev.drift.auc, f"The drift AUC of fresh rows vs the training sample (drifted: {named})")]


def _drifted_share(ev: MonitorEvidence, policy: MonitorPolicy) -> list[Measured]:
    if ev.drift is None:
        return [Measured("drifted_columns", None, "The share of drifted columns")]
    n, total = len(ev.drift.drifted), len(ev.drift.columns)
    return [Measured("drifted_columns", ev.drift.drifted_share, f"The share of drifted columns ({n} of {total})")]


def _estimate_bound(ev: MonitorEvidence, policy: MonitorPolicy) -> tuple[str, str]:
    """What the estimated gap is judged on, and the words saying why when ``estimate_gate_on = "auto"`` chose it.

    ``auto``: the mean while every per-column drift test of a column the estimate reads passes; the upper bound of
    the interval once one fails (there the estimate extrapolates from fewer stored rows, and on the estimate
    benchmark's shifted batches it leans optimistic). A correctness model reads the features it names (not an id or
    a date it left out, which drift in every batch); the confidence alone and a loss model (DLE), every column the
    model reads. Without a drift measurement, the mean.
    """
    if policy.estimate_gate_on != "auto":
        return policy.estimate_gate_on, ""
    drifted = () if ev.drift is None else ev.drift.drifted
    if ev.estimate is not None and ev.estimate.features:
        drifted = tuple(c for c in drifted if c in ev.estimate.features)
    if not drifted:
        return "mean", ""
    more = f" and {len(drifted) - 3} more" if len(drifted) > 3 else ""
    return "upper", f": the fresh rows drifted in {', '.join(drifted[:3])}{more}, where the estimate extrapolates"


def _estimated_gaps(ev: MonitorEvidence, policy: MonitorPolicy) -> list[Measured]:
    if ev.estimate is None:
        return []
    gate_on, why = _estimate_bound(ev, policy)
    bound = _bound(gate_on, ev.estimate.confidence, why)
    measured = []
    for s in ev.estimate.scores:
        source = "test score at promotion" if s.reference == "promotion" else "out-of-fold score of the version"
        measured.append(
            Measured(
                f"estimated_gap:{s.metric}",
                _gap_value(s, gate_on),
                f"The estimated production gap of {s.metric} ({source} {s.promoted:.4g} − {s.estimate:.4g} "
                f"estimated without labels by {ev.estimate.method.upper()}){bound}",
            )
        )
    return measured


def _estimate_ece(ev: MonitorEvidence, policy: MonitorPolicy) -> list[Measured]:
    if ev.estimate is None or ev.estimate.ece is None:
        return []
    return [
        Measured(
            "estimate_ece",
            ev.estimate.ece,
            "The expected calibration error of the version's out-of-fold probabilities (the estimate recalibrates them; "
            "a large one makes it less trustworthy)",
        )
    ]


def _support(ev: MonitorEvidence, policy: MonitorPolicy) -> list[Measured]:
    if ev.estimate is None:
        return []
    auc = None if ev.drift is None else ev.drift.auc
    return [
        Measured(
            "estimate_support",
            auc,
            "The drift AUC of the fresh rows (near 1: they lie outside the training rows' support, where the label-free "
            "estimate extrapolates and cannot be trusted)",
        )
    ]


@dataclass(frozen=True)
class MonitorRule:
    """One rule of the monitor, as data.

    Attributes:
        name: Rule name.
        limit: The ``[monitor]`` field holding its limit (the rule is off when it is None).
        measure: ``(evidence, policy) -> [Measured, ...]``: the values compared with the limit (at most).
    """

    name: str
    limit: str
    measure: Callable[[MonitorEvidence, MonitorPolicy], list[Measured]]


#: The monitor's rules, in report order.
MONITOR_RULES: tuple[MonitorRule, ...] = (
    MonitorRule("production_gap", "max_production_gap", _gaps),
    MonitorRule("drift_auc", "max_drift_auc", _drift_auc),
    MonitorRule("drifted_columns", "max_drifted_share", _drifted_share),
    MonitorRule("estimated_gap", "max_estimated_gap", _estimated_gaps),
    MonitorRule("estimate_ece", "max_estimate_ece", _estimate_ece),
    MonitorRule("estimate_support", "max_support_auc", _support),
)


def _measured(m: Measured, rule: Rule, severity: Severity) -> Check:
    if m.value is None or not math.isfinite(m.value):
        return Check(
            m.check,
            Status.FAIL,
            None,
            rule.limit,
            f"{m.what} could not be computed, so the model is treated as needing a retrain.",
        )
    return judge(m.check, m.value, rule, severity=severity, at_most=True, what=m.what)


def _other_checks(ev: MonitorEvidence, policy: MonitorPolicy) -> list[Check]:
    checks = []
    if ev.output_problems:
        checks.append(
            Check(
                "model_outputs",
                Status.FAIL,
                None,
                None,
                f"The production model's outputs on the fresh rows are invalid: {ev.output_problems[0]}.",
            )
        )
    if ev.quality is not None:
        failed = [o for o in ev.quality.results if o.critical and not o.success]
        status = Status.PASS if not failed else Status.FAIL if policy.on_quality_fail == "retrain" else Status.WARN
        first = failed[0].message.rstrip(".") if failed else ""
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        message = (
            "The fresh rows pass every critical data-quality expectation."
            if not failed
            else f"The fresh rows fail {len(failed)} critical data-quality expectation(s): {first}{more}."
        )
        checks.append(Check("quality", status, float(len(failed)), 0.0, message))
    return checks


def decide(evidence: MonitorEvidence, policy: MonitorPolicy) -> MonitorDecision:
    """Apply the monitor's rules to the evidence.

    Args:
        evidence: What the monitor measured.
        policy: The ``[monitor]`` section.

    Returns:
        ``retrain`` when a check fails, ``warn`` when one warns, ``ok`` otherwise.

    Example:
        >>> from gapgates.compute.production import ProductionScore
        >>> score = ProductionScore("accuracy", 0.80, 0.76, 0.84, "wilson", promoted=0.95)
        >>> decide(MonitorEvidence(scores=(score,), drift=None), MonitorPolicy(max_drift_auc=None,
        ...        max_drifted_share=None)).outcome.value
        'retrain'
    """
    checks: list[Check] = []
    for spec in MONITOR_RULES:
        rule = getattr(policy, spec.limit)
        if rule is None:
            continue
        try:
            checks.extend(_measured(m, rule, policy.severity_of(rule)) for m in spec.measure(evidence, policy))
        except Exception as err:  # a check that cannot be computed fails, never passes
            checks.append(Check(spec.name, Status.FAIL, None, rule.limit, f"The {spec.name} check could not be computed: {err}"))
    checks += _other_checks(evidence, policy)
    statuses = {c.status for c in checks}
    outcome = (
        MonitorOutcome.RETRAIN
        if Status.FAIL in statuses
        else MonitorOutcome.WARN
        if Status.WARN in statuses
        else MonitorOutcome.OK
    )
    return MonitorDecision(outcome=outcome, checks=tuple(checks))
