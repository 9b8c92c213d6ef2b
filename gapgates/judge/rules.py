"""The *judge* step: policy limits applied to computed evidence, giving a :class:`Decision`.

Each rule is one comparison. A rule whose evidence failed to compute, or whose
comparison raises, becomes a failing check: a gate that errors blocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from gapgates.judge.checks import Check, Decision, Severity, Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy, Rule

__all__ = ["RULES", "evaluate", "judge"]

RuleFn = Callable[[Policy, Evidence], list[Check]]


def judge(
    name: str,
    value: float | None,
    rule: Rule,
    *,
    severity: Severity,
    at_most: bool,
    what: str,
) -> Check:
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
    """
    limit = rule.limit
    if value is None or not math.isfinite(value):
        return Check(name, Status.FAIL, None, limit, f"{what} could not be computed, so the gate fails.")
    ok = value <= limit if at_most else value >= limit
    relation = ("≤" if ok else ">") if at_most else ("≥" if ok else "<")
    message = f"{what} is {value:.4g} ({relation} limit {limit:.4g})."
    if ok:
        return Check(name, Status.PASS, value, limit, message)
    return Check(name, Status.FAIL if severity is Severity.BLOCK else Status.WARN, value, limit, message)


def _skipped(name: str, why: str, limit: float | None = None) -> Check:
    return Check(name, Status.SKIPPED, None, limit, why)


def gap_checks(policy: Policy, evidence: Evidence) -> list[Check]:
    """``[gap]``: every metric's gap (mean or interval upper bound), relative gap, and holdout gap."""
    section, result = policy.gap, evidence.gap
    if result is None:
        return [Check("gap", Status.FAIL, None, None, "The gap was not computed, so the gate fails.")]
    checks = []
    upper = section.gate_on == "upper"
    for metric, g in result.metrics.items():
        value = g.gap_ci_high if upper else g.gap_mean
        label = f"{'upper bound of the' if upper else 'mean'} {metric} gap (train − test)"
        if section.max_gap is not None:
            checks.append(
                judge(f"gap:{metric}", value, section.max_gap, severity=section.severity_of(section.max_gap),
                      at_most=True, what=label[0].upper() + label[1:])
            )
        if section.max_relative_gap is not None:
            rel = value / abs(g.train_mean) if g.train_mean else math.nan
            checks.append(
                judge(f"relative_gap:{metric}", rel, section.max_relative_gap,
                      severity=section.severity_of(section.max_relative_gap), at_most=True,
                      what=f"Relative {metric} gap ({'upper bound' if upper else 'mean'} / train score)")
            )
    if evidence.holdout is not None and section.max_gap is not None:
        for metric, value in evidence.holdout.gap.items():
            checks.append(
                judge(f"holdout_gap:{metric}", value, section.max_gap, severity=section.severity_of(section.max_gap),
                      at_most=True, what=f"Holdout {metric} gap (train − holdout)")
            )
    return checks


def performance_checks(policy: Policy, evidence: Evidence) -> list[Check]:
    """``[performance]``: the primary test score and its gain over the dummy baseline."""
    section, result = policy.performance, evidence.gap
    if result is None:
        return []
    primary = result.primary
    checks = []
    if section.min_test_score is not None:
        checks.append(
            judge("min_test_score", primary.test_mean, section.min_test_score,
                  severity=section.severity_of(section.min_test_score), at_most=False,
                  what=f"Mean cross-validated {primary.metric}")
        )
    if section.min_gain_over_baseline is not None:
        rule = section.min_gain_over_baseline
        if evidence.baseline is None:
            checks.append(_skipped("gain_over_baseline", "The dummy baseline was not computed.", rule.limit))
        else:
            gain = primary.test_mean - evidence.baseline.test_mean[primary.metric]
            checks.append(
                judge("gain_over_baseline", gain, rule, severity=section.severity_of(rule), at_most=False,
                      what=f"Gain in {primary.metric} over the dummy baseline")
            )
    return checks


def trend_checks(policy: Policy, evidence: Evidence) -> list[Check]:
    """``[trend]``: the primary gap must not widen by more than ``max_gap_increase`` across the window."""
    section, trend = policy.trend, evidence.trend
    rule = section.max_gap_increase
    if rule is None:
        return []
    if trend is None:
        why = "No run history is configured (give --history or --out), so the gap trend was not judged."
        return [_skipped("trend", why, rule.limit)]
    if trend.increase is None:
        return [_skipped("trend", f"Only {len(trend.past)} earlier run(s) of this model are recorded; the gap trend "
                         f"needs {trend.window}.", rule.limit)]
    return [judge("trend", trend.increase, rule, severity=section.severity_of(rule), at_most=True,
                  what=f"Widening of the {trend.metric} gap across the last {len(trend.series)} runs")]


def quality_rule(policy: Policy, evidence: Evidence) -> list[Check]:
    """``[quality]``: each failed expectation (fail when critical and required, else warn), or one pass."""
    if evidence.quality is None:
        return []
    from gapgates.quality.gate import quality_checks

    return quality_checks(evidence.quality, required=policy.quality.required)


def noise_checks(policy: Policy, evidence: Evidence) -> list[Check]:
    """``[noise]``: share of rows cleanlab flags as label issues, overall and within any one class."""
    section, noise = policy.noise, evidence.noise
    rules = [("label_noise", section.max_rate), ("label_noise:class", section.max_class_rate)]
    rules = [(name, rule) for name, rule in rules if rule is not None]
    if noise is None or noise.skipped:
        why = "Label noise was not computed." if noise is None else noise.skipped
        return [_skipped(name, why, rule.limit) for name, rule in rules]
    values = {"label_noise": (noise.rate, f"Share of labels cleanlab flags ({noise.n_issues} of {noise.rows})"),
              "label_noise:class": (noise.max_class_rate, "Largest share of flagged labels within one class")}
    return [judge(name, values[name][0], rule, severity=section.severity_of(rule), at_most=True, what=values[name][1])
            for name, rule in rules]


def shift_checks(policy: Policy, evidence: Evidence) -> list[Check]:
    """``[shift]``: adversarial-validation AUC between training rows and holdout rows."""
    rule = policy.shift.max_auc
    if rule is None:
        return []
    if evidence.shift is None:
        return [_skipped("shift", "There is no holdout, so train/holdout shift was not measured. "
                         "Give --holdout or --holdout-fraction.", rule.limit)]
    return [judge("shift", evidence.shift.auc, rule, severity=policy.shift.severity_of(rule), at_most=True,
                  what="AUC of a classifier telling holdout rows from training rows")]


def leakage_checks(policy: Policy, evidence: Evidence) -> list[Check]:
    """``[leakage]``: holdout rows copying training rows, and one column predicting the target alone."""
    section, leak, checks = policy.leakage, evidence.leakage, []
    if section.max_duplicate_rate is not None:
        rule = section.max_duplicate_rate
        if leak is None or leak.duplicate_rate is None:
            why = "Leakage was not computed." if leak is None else "There is no holdout, so no copied rows to look for."
            checks.append(_skipped("leakage:duplicates", why, rule.limit))
        else:
            checks.append(judge("leakage:duplicates", leak.duplicate_rate, rule, severity=section.severity_of(rule),
                                at_most=True, what="Share of holdout rows that copy a training row"))
    if section.max_feature_score is not None:
        rule = section.max_feature_score
        if leak is None or not leak.feature_scores:
            checks.append(_skipped("leakage:feature", "Leakage was not computed.", rule.limit))
        else:
            name, score = leak.feature_scores[0]
            checks.append(judge("leakage:feature", score, rule, severity=section.severity_of(rule), at_most=True,
                                what=f"Share of the target explained by column '{name}' alone"))
    return checks


def champion_rule(policy: Policy, evidence: Evidence) -> list[Check]:
    """``[champion]``: see :func:`gapgates.champion.champion_checks`."""
    from gapgates.compute.champion import champion_checks

    return champion_checks(policy, evidence)


#: Ordered ``(evidence step, rule function)`` pairs; later issues append their own.
RULES: list[tuple[str, RuleFn]] = [
    ("quality", quality_rule),
    ("gap", gap_checks),
    ("performance", performance_checks),
    ("trend", trend_checks),
    ("noise", noise_checks),
    ("shift", shift_checks),
    ("leakage", leakage_checks),
    ("champion", champion_rule),
]


def evaluate(policy: Policy, evidence: Evidence) -> Decision:
    """Apply every policy rule to the evidence.

    Args:
        policy: The validated policy.
        evidence: What was computed.

    Returns:
        ``promote`` when no check fails; otherwise the policy's ``on_fail`` outcome
        (``block`` or ``needs_approval``). Warnings never block.

    Example:
        >>> from gapgates.judge.policy import Policy
        >>> evaluate(Policy(), Evidence()).outcome.value  # nothing computed: nothing promoted
        'block'
    """
    checks: list[Check] = []
    for step, rule_fn in RULES:
        if step in evidence.errors:
            checks.append(Check(step, Status.FAIL, None, None, f"The {step} step failed: {evidence.errors[step]}"))
            continue
        try:
            checks.extend(rule_fn(policy, evidence))
        except Exception as err:  # a check that cannot be computed must fail, never pass
            checks.append(Check(step, Status.FAIL, None, None, f"The {step} check could not be computed: {err}"))
    return Decision.from_checks(checks, on_fail=policy.decision.fail_outcome)
