"""The *judge* step: :func:`evaluate` applies every rule to the evidence.

A rule is declared once, as data (:class:`~gapgates.judge.checks.RuleSpec`): the evidence it reads, the policy
limit it compares with (a dotted path such as ``"shift.max_auc"``), the comparison, and how to name the value in
the check's message. The measurements declare their own rules (:data:`gapgates.measurements.REGISTRY`, in
registration order); :data:`REGISTRY` here holds the rules added on their own, with a value they compute
themselves, evaluated after them. Nothing else decides. A rule of your own is one compute function, one policy
field and one :func:`register` call::

    register(RuleSpec(name="rows", evidence="rows", limit="size.min_rows", at_most=False,
                      measure=lambda value, ev, policy: [Measured("rows", value, "Training rows")],
                      compute=lambda prep, gap: float(prep.train.rows)))

A rule whose evidence failed to compute fails; so does a rule whose measure raises. A rule
whose evidence was not computed is skipped with its reason, unless it is ``required``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from gapgates.judge.checks import Check, CheckRepeats, Decision, Measured, RuleSpec, Severity, Status
from gapgates.judge.evidence import Evidence, register_measurement
from gapgates.judge.policy import Policy, Rule
from gapgates.measurements import REGISTRY as MEASUREMENTS

__all__ = [
    "REGISTRY",
    "Measured",
    "RuleSpec",
    "all_rules",
    "evaluate",
    "judge",
    "measured_names",
    "register",
    "rule",
    "unregister",
]


#: Rules added on their own (:func:`register`), evaluated after the measurements' rules.
REGISTRY: dict[str, RuleSpec] = {}


def register(spec: RuleSpec, *, replace: bool = False) -> RuleSpec:
    """Add a rule to the registry (evaluated after the rules already there).

    Args:
        spec: The rule.
        replace: Replace a rule of the same name instead of refusing it.

    Returns:
        The rule, so ``register`` can be used where the spec is defined.

    Raises:
        ValueError: If a rule of that name is registered and ``replace`` is False, or the
            rule has neither ``measure`` nor ``checks``.
    """
    if (spec.name in REGISTRY and not replace) or any(s.name == spec.name for s in _measurement_rules()):
        raise ValueError(f"A rule named {spec.name!r} is already registered. Pass replace=True to replace it.")
    if (spec.measure is None) == (spec.checks is None):
        raise ValueError(f"Rule {spec.name!r} needs exactly one of 'measure' and 'checks'.")
    if spec.compute is not None:
        register_measurement(spec.evidence)
    REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a rule from the registry (no error when it is not there)."""
    spec = REGISTRY.pop(name, None)
    if spec is not None and spec.compute is not None:
        register_measurement(spec.evidence, registered=False)


def _measurement_rules() -> list[RuleSpec]:
    return [spec for measurement in list(MEASUREMENTS.values()) for spec in measurement.rules]


def all_rules() -> list[RuleSpec]:
    """Every rule :func:`evaluate` applies, in order: the measurements' (registry order), then :data:`REGISTRY`'s."""
    return [*_measurement_rules(), *REGISTRY.values()]


def rule(name: str) -> RuleSpec:
    """The rule of that name (a measurement's or one added with :func:`register`).

    Raises:
        KeyError: When there is none.
    """
    found = next((spec for spec in all_rules() if spec.name == name), None)
    if found is None:
        raise KeyError(name)
    return found


def measured_names() -> tuple[str, ...]:
    """Evidence names of the registered rules that bring their own measurement."""
    return tuple(spec.evidence for spec in REGISTRY.values() if spec.compute is not None)


def judge(name: str, value: float | None, rule: Rule, *, severity: Severity, at_most: bool, what: str) -> Check:
    """Compare one value with one limit.

    Args:
        name: Check name.
        value: The computed value; None or NaN fails (it could not be computed).
        rule: The limit.
        severity: ``block`` turns a breach into fail, ``warn`` into warn.
        at_most: True when the value must be ≤ the limit, False when ≥.
        what: Plain-language name of the value, used in the message.

    Returns:
        The check.

    Example:
        >>> judge("shift", 0.8, Rule(limit=0.75), severity=Severity.BLOCK, at_most=True, what="AUC").status.value
        'fail'
    """
    limit = rule.limit
    if value is None or not math.isfinite(value):
        return Check(name, Status.FAIL, None, limit, f"{what} could not be computed, so the gate fails.")
    margin = limit - value if at_most else value - limit
    ok = margin >= 0
    relation = ("≤" if ok else ">") if at_most else ("≥" if ok else "<")
    message = f"{what} is {value:.4g} ({relation} limit {limit:.4g})."
    status = Status.PASS if ok else Status.FAIL if severity is Severity.BLOCK else Status.WARN
    return Check(name, status, value, limit, message, margin=margin)


def _with_repeats(check: Check, evidence: Evidence) -> Check:
    """The check with the repeats of k-fold added for it when its interval straddled its limit (unchanged otherwise)."""
    repeats = evidence.gap.repeats if evidence.gap is not None else None
    first = None if repeats is None else next((s for s in repeats.straddled if s.check == check.name), None)
    if repeats is None or first is None:
        return check
    note = CheckRepeats(
        added=repeats.added,
        folds=repeats.folds,
        budget=repeats.budget,
        low=first.low,
        high=first.high,
        inconclusive=check.name in repeats.unresolved,
    )
    return dataclasses.replace(check, message=f"{check.message} {note.describe()}", repeats=note)


def _apply(spec: RuleSpec, policy: Policy, evidence: Evidence) -> list[Check]:
    """The checks of one rule."""
    rule, severity = spec.rule_of(policy)
    if not spec.is_on(policy):
        return []  # the policy turns this rule off
    limit = None if rule is None else rule.limit
    if spec.evidence in evidence.errors:
        return [Check(spec.name, Status.FAIL, None, limit, f"The {spec.evidence} step failed: {evidence.errors[spec.evidence]}")]
    value = evidence.value(spec.evidence)
    if value is None:
        if spec.required:
            return [Check(spec.name, Status.FAIL, None, limit, f"The {spec.evidence} was not computed, so the gate fails.")]
        if spec.checks is not None or spec.missing is None:
            return []
        return [Check(spec.name, Status.SKIPPED, None, limit, spec.missing)]
    if spec.checks is not None:
        return spec.checks(value, policy)
    if spec.measure is None:  # register() refuses such a rule; evaluate(rules=...) may not
        raise TypeError(f"Rule {spec.name!r} has no measure.")
    measured = spec.measure(value, evidence, policy)
    if isinstance(measured, str):
        return [Check(spec.name, Status.SKIPPED, None, limit, measured)]
    checks = []
    for m in measured:
        own, own_severity = (rule, severity) if m.metric is None else spec.rule_of(policy, m.metric)
        if own is not None:  # a metric whose [gap.per_metric] table turns the limit off has no check
            check = _with_repeats(
                judge(m.check, m.value, own, severity=own_severity, at_most=spec.at_most, what=m.what), evidence
            )
            if spec.context is not None and check.status is Status.FAIL and check.value is not None:
                check = spec.context(check, evidence, policy)
            checks.append(check)
    return checks


def evaluate(policy: Policy, evidence: Evidence, *, rules: Sequence[RuleSpec] | None = None) -> Decision:
    """Apply every registered rule to the evidence.

    Args:
        policy: The validated policy.
        evidence: What was computed.
        rules: The rules to apply (default: :func:`all_rules`: every measurement's, then those added with :func:`register`).

    Returns:
        ``promote`` when no check fails; otherwise the policy's ``on_fail`` outcome
        (``block`` or ``needs_approval``). Warnings never block.

    Example:
        >>> evaluate(Policy(), Evidence()).outcome.value  # nothing computed: nothing promoted
        'block'
    """
    checks: list[Check] = []
    for spec in all_rules() if rules is None else rules:
        try:
            checks.extend(_apply(spec, policy, evidence))
        except Exception as err:  # a check that cannot be computed must fail, never pass
            checks.append(Check(spec.name, Status.FAIL, None, None, f"The {spec.name} check could not be computed: {err}"))
    return Decision.from_checks(checks, on_fail=policy.decision.fail_outcome)
