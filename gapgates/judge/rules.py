"""The *judge* step: the rule registry, and :func:`evaluate`, which applies it to the evidence.

A rule is declared once, as data (:class:`RuleSpec`): the evidence it reads, the policy limit it
compares with (a dotted path such as ``"shift.max_auc"``), the comparison, and how to name the
value in the check's message. :func:`evaluate` walks :data:`REGISTRY` in order; nothing else
decides. A new rule is one compute function, one policy field and one :func:`register` call::

    register(RuleSpec(name="rows", evidence="rows", limit="size.min_rows", at_most=False,
                      measure=lambda value, ev, policy: [Measured("rows", value, "Training rows")],
                      compute=lambda prep, gap: float(prep.train.rows)))

A rule whose evidence failed to compute fails; so does a rule whose measure raises. A rule
whose evidence was not computed is skipped with its reason, unless it is ``required``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gapgates.data.guard import output_problem, output_problems
from gapgates.judge.checks import Check, CheckRepeats, Decision, Severity, Status
from gapgates.judge.evidence import Evidence, register_measurement
from gapgates.judge.policy import Policy, Rule

__all__ = [
    "REGISTRY",
    "Measured",
    "RuleSpec",
    "evaluate",
    "judge",
    "measured_names",
    "output_checks",
    "quality_checks",
    "register",
    "unregister",
]


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
Measure = Callable[[Any, Evidence, Policy], "Iterable[Measured] | str"]


@dataclass(frozen=True)
class RuleSpec:
    """One rule of the gate, as data.

    Attributes:
        name: Registry key; also the check name when the rule errors or is skipped.
        evidence: The :class:`Evidence` field (or registered measurement) the rule reads.
        limit: Dotted path of the policy limit (``"section.field"``); the rule is off when it is None.
        measure: ``(evidence value, evidence, policy) -> [Measured, ...]``, or a string: why the rule
            is skipped.
        at_most: True when a value must be ≤ the limit, False when ≥.
        missing: Why the rule is skipped when its evidence was not computed (None: no check at all,
            for evidence that exists only in some runs, such as a holdout).
        required: Fail (instead of skip) when the evidence was not computed.
        checks: For rules that are not one comparison (the data-quality expectations):
            ``(evidence value, policy) -> [Check, ...]``, used instead of ``measure``.
        compute: For rules that bring their own measurement: ``(prepared, gap_result) -> float``,
            run by the pipeline's diagnostics step; its value is ``Evidence.measured[evidence]``.
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

    def _section(self, policy: Policy) -> tuple[Any, str]:
        section_name, field_name = str(self.limit).rsplit(".", 1)
        section: Any = policy
        for part in section_name.split("."):
            section = getattr(section, part)
        return section, field_name

    def rule_of(self, policy: Policy, metric: str | None = None) -> tuple[Rule | None, Severity]:
        """The limit of this rule in a policy (None: off) and the severity a breach has; for one
        ``metric``, its ``[gap.per_metric.<metric>]`` limit where the section sets one."""
        if self.limit is None:
            return None, Severity.BLOCK
        section, field_name = self._section(policy)
        if metric is not None and hasattr(section, "limits_of"):
            return section.limits_of(field_name, metric)
        rule = getattr(section, field_name)
        return rule, (section.severity_of(rule) if rule is not None else section.severity)

    def is_on(self, policy: Policy) -> bool:
        """Whether the policy sets this rule's limit, for every value or for one metric."""
        if self.limit is None:
            return self.checks is not None
        section, field_name = self._section(policy)
        per_metric = getattr(section, "per_metric", {})
        return getattr(section, field_name) is not None or any(
            getattr(limits, field_name, None) is not None for limits in per_metric.values()
        )


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
    if spec.name in REGISTRY and not replace:
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
            checks.append(
                _with_repeats(judge(m.check, m.value, own, severity=own_severity, at_most=spec.at_most, what=m.what), evidence)
            )
    return checks


def evaluate(policy: Policy, evidence: Evidence, *, rules: Sequence[RuleSpec] | None = None) -> Decision:
    """Apply every registered rule to the evidence.

    Args:
        policy: The validated policy.
        evidence: What was computed.
        rules: The rules to apply (default: :data:`REGISTRY`, in registration order).

    Returns:
        ``promote`` when no check fails; otherwise the policy's ``on_fail`` outcome
        (``block`` or ``needs_approval``). Warnings never block.

    Example:
        >>> evaluate(Policy(), Evidence()).outcome.value  # nothing computed: nothing promoted
        'block'
    """
    checks: list[Check] = []
    for spec in REGISTRY.values() if rules is None else rules:
        try:
            checks.extend(_apply(spec, policy, evidence))
        except Exception as err:  # a check that cannot be computed must fail, never pass
            checks.append(Check(spec.name, Status.FAIL, None, None, f"The {spec.name} check could not be computed: {err}"))
    return Decision.from_checks(checks, on_fail=policy.decision.fail_outcome)


# --- the built-in rules, in the order their checks are listed -----------------------------------


def quality_checks(result: Any, *, required: bool) -> list[Check]:
    """Checks from a quality result: one per failed expectation, or one passing summary.

    A failed critical expectation fails the gate when ``required``; anything else that
    failed only warns.
    """
    if result.success:
        tables = ", ".join(f"{name} ({n} rows)" for name, n in result.rows.items())
        return [Check("quality", Status.PASS, 0.0, 0.0, f"All {len(result.results)} data-quality expectations held on {tables}.")]
    checks = []
    absent = {(o.dataset, o.column) for o in result.failures if o.expectation == "expect_column_to_exist"}
    for outcome in result.failures:
        if (
            outcome.details.get("missing_column")
            and outcome.expectation != "expect_column_to_exist"
            and ((outcome.dataset, outcome.column) in absent)
        ):
            continue  # one check per missing column, from expect_column_to_exist
        status = Status.FAIL if outcome.critical and required else Status.WARN
        value = outcome.observed if isinstance(outcome.observed, (int, float)) else None
        checks.append(Check(outcome.name, status, value, None, outcome.message))
    return checks


def _gap_measured(check: str, what: str, g: Any, upper: bool, scale: float = 1.0) -> Measured:
    """The gap value a rule compares, divided by ``scale``: the interval's upper bound (with the
    interval) for ``gate_on = "upper"``, else the mean gap. NaN when ``scale`` is 0."""
    if not scale:
        return Measured(check, math.nan, what, metric=check.split(":", 1)[1])
    low, mean, high = g.gap_ci_low / scale, g.gap_mean / scale, g.gap_ci_high / scale
    metric = check.split(":", 1)[1]
    if upper:
        return Measured(check, high, what, interval=(low, mean, high), metric=metric)
    return Measured(check, mean, what, metric=metric)


def output_checks(result: Any, policy: Policy) -> list[Check]:
    """The ``model_outputs`` check: every fold model's outputs had the right shape and finite values, and its
    probabilities lay in [0, 1] with rows summing to 1 (see :mod:`gapgates.data.guard`). Never a warning."""
    cv = result.cv
    invalid = list(output_problems(cv.estimators))
    if not invalid and cv.oof_proba is not None and cv.classes is not None:  # fold models that were not guarded
        proba = cv.oof_proba[cv.covered]
        problem = output_problem("predict_proba", proba, rows=len(proba), classification=True, n_classes=cv.classes.size)
        invalid += [] if problem is None else [f"predict_proba out of fold: {problem}"]
    if not invalid:
        return [
            Check(
                "model_outputs",
                Status.PASS,
                0.0,
                0.0,
                "Every output of the fold models is valid: the right shape, finite values, probabilities in [0, 1] summing to 1.",
            )
        ]
    more = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
    return [
        Check(
            "model_outputs",
            Status.FAIL,
            float(len(invalid)),
            0.0,
            f"The model gave an invalid output: {invalid[0]}{more}. Its scores and label-noise check cannot be "
            "trusted, so the gate fails.",
        )
    ]


def _gaps(result: Any, ev: Evidence, policy: Policy) -> list[Measured]:
    upper = policy.gap.gate_on == "upper"
    label = "Upper bound of the" if upper else "Mean"
    return [_gap_measured(f"gap:{m}", f"{label} {m} gap (train − test)", g, upper) for m, g in result.metrics.items()]


def _relative_gaps(result: Any, ev: Evidence, policy: Policy) -> list[Measured]:
    upper = policy.gap.gate_on == "upper"
    bound = "upper bound" if upper else "mean"
    return [
        _gap_measured(f"relative_gap:{m}", f"Relative {m} gap ({bound} / train score)", g, upper, abs(g.train_mean))
        for m, g in result.metrics.items()
    ]


def _holdout_gaps(held: Any, ev: Evidence, policy: Policy) -> list[Measured]:
    return [Measured(f"holdout_gap:{m}", v, f"Holdout {m} gap (train − holdout)", metric=m) for m, v in held.gap.items()]


def _min_test_score(result: Any, ev: Evidence, policy: Policy) -> list[Measured]:
    p = result.primary
    return [Measured("min_test_score", p.test_mean, f"Mean cross-validated {p.metric}")]


def _gain(base: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if ev.gap is None:
        return "The gap was not computed."
    p = ev.gap.primary
    return [Measured("gain_over_baseline", p.test_mean - base.test_mean[p.metric], f"Gain in {p.metric} over the dummy baseline")]


def _trend(trend: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if trend.increase is None:
        return f"Only {len(trend.past)} earlier run(s) of this model are recorded; the gap trend needs {trend.window}."
    return [Measured("trend", trend.increase, f"Widening of the {trend.metric} gap across the last {len(trend.series)} runs")]


def _noise_rate(noise: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if noise.skipped:
        return noise.skipped
    return [Measured("label_noise", noise.rate, f"Share of labels cleanlab flags ({noise.n_issues} of {noise.rows})")]


_NO_REFERENCE = (
    "No registry or run history is configured (give --registry, --history or --out), so there is no "
    "reference noise rate to compare with; [noise] max_rate still applies."
)


def _noise_increase(noise: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if noise.skipped:
        return noise.skipped
    what = "Increase of the share of flagged labels over the reference"
    if "noise_reference" in ev.errors:
        return [Measured("label_noise:increase", None, f"{what} ({ev.errors['noise_reference']})")]
    ref = ev.noise_reference
    if ref is None:
        return _NO_REFERENCE
    if ref.rate is None:
        return f"{ref.reason} [noise] max_rate still applies."
    return [
        Measured(
            "label_noise:increase",
            noise.rate - ref.rate,
            f"Flagged-label share {noise.rate:.1%} minus the {ref.rate:.1%} of {ref.describe()}",
        )
    ]


def _noise_class_rate(noise: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if noise.skipped:
        return noise.skipped
    return [Measured("label_noise:class", noise.max_class_rate, "Largest share of flagged labels within one class")]


def _shift(shift: Any, ev: Evidence, policy: Policy) -> list[Measured]:
    return [Measured("shift", shift.auc, "AUC of a classifier telling holdout rows from training rows")]


def _drifted_columns(shift: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if shift.drift_alpha is None:
        return "The per-column drift tests were not computed."
    names = ", ".join(f"'{c}'" for c in shift.drifted[:3]) or "none"
    return [
        Measured(
            "shift:columns",
            float(len(shift.drifted)),
            f"Columns whose drift test (KS / chi-square, family-wise α = {shift.drift_alpha:g}) finds drift "
            f"between training rows and the holdout (most drifted: {names})",
        )
    ]


def _duplicates(leak: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if leak.duplicate_rate is None:
        return "There is no holdout, so no copied rows to look for."
    return [Measured("leakage:duplicates", leak.duplicate_rate, "Share of holdout rows that copy a training row")]


def _leaking_feature(leak: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if not leak.feature_scores:
        return "Leakage was not computed."
    name, score = leak.feature_scores[0]
    return [Measured("leakage:feature", score, f"Share of the target explained by column '{name}' alone")]


def _no_comparison(champ: Any, ev: Evidence) -> str | None:
    """Why the candidate cannot be compared with production, or None when it can."""
    if champ.version is None:
        return champ.reason or "There is no production model to compare with."
    return "The gap was not computed." if ev.gap is None else None


def _champion_regression(champ: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if (why := _no_comparison(champ, ev)) is not None or ev.gap is None:
        return why or ""
    primary, held = ev.gap.primary, ev.holdout
    if held is not None and champ.holdout is not None and primary.metric in held.test:
        drop, where = champ.holdout - held.test[primary.metric], "holdout"
    else:
        drop, where = champ.test_mean - primary.test_mean, "fold test rows"
    return [Measured("champion_regression", drop, f"Drop in {primary.metric} versus production {champ.version} ({where})")]


def _champion_gap_increase(champ: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if (why := _no_comparison(champ, ev)) is not None or ev.gap is None:
        return why or ""
    primary = ev.gap.primary
    if champ.recorded_gap is None:
        return f"Production {champ.version} has no recorded {primary.metric} gap to compare with."
    return [
        Measured(
            "champion_gap_increase",
            primary.gap_mean - champ.recorded_gap,
            f"Increase of the mean {primary.metric} gap versus production {champ.version}",
        )
    ]


_NO_HOLDOUT = "There is no holdout, so train/holdout shift was not measured. Give --holdout or --holdout-fraction."
_NO_CHAMPION = "No registry was given, so there is no champion to compare with."

for _spec in (
    RuleSpec("quality", "quality", checks=lambda q, policy: quality_checks(q, required=policy.quality.required)),
    RuleSpec("gap", "gap", "gap.max_gap", _gaps, required=True),
    RuleSpec("model_outputs", "gap", checks=output_checks),
    RuleSpec("relative_gap", "gap", "gap.max_relative_gap", _relative_gaps, required=True),
    RuleSpec("holdout_gap", "holdout", "gap.max_gap", _holdout_gaps, missing=None),
    RuleSpec(
        "min_test_score", "gap", "performance.min_test_score", _min_test_score, at_most=False, missing="The gap was not computed."
    ),
    RuleSpec(
        "gain_over_baseline",
        "baseline",
        "performance.min_gain_over_baseline",
        _gain,
        at_most=False,
        missing="The dummy baseline was not computed.",
    ),
    RuleSpec(
        "trend",
        "trend",
        "trend.max_gap_increase",
        _trend,
        missing="No run history is configured (give --history or --out), so the gap trend was not judged.",
    ),
    RuleSpec("label_noise", "noise", "noise.max_rate", _noise_rate, missing="Label noise was not computed."),
    RuleSpec(
        "label_noise:increase", "noise", "noise.max_rate_increase", _noise_increase, missing="Label noise was not computed."
    ),
    RuleSpec("label_noise:class", "noise", "noise.max_class_rate", _noise_class_rate, missing="Label noise was not computed."),
    RuleSpec("shift", "shift", "shift.max_auc", _shift, missing=_NO_HOLDOUT),
    RuleSpec("shift:columns", "shift", "shift.max_drifted_columns", _drifted_columns, missing=_NO_HOLDOUT),
    RuleSpec("leakage:duplicates", "leakage", "leakage.max_duplicate_rate", _duplicates, missing="Leakage was not computed."),
    RuleSpec("leakage:feature", "leakage", "leakage.max_feature_score", _leaking_feature, missing="Leakage was not computed."),
    RuleSpec("champion_regression", "champion", "champion.max_regression", _champion_regression, missing=_NO_CHAMPION),
    RuleSpec("champion_gap_increase", "champion", "champion.max_gap_increase", _champion_gap_increase, missing=_NO_CHAMPION),
):
    register(_spec)


# --- weak segments, calibration, training-data issues (every limit off in the shipped policy) -------------


def _worst_segment(seg: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    worst = seg.worst
    if worst is None:
        return f"No segment has {seg.min_rows} rows or more, so none was judged."
    return [
        Measured(
            "segments:min_test_score",
            worst.high,
            f"Upper bound of the {seg.confidence:.0%} interval of {seg.metric} in the weakest segment "
            f"({worst.description}, {worst.rows} rows; estimate {worst.test:.4g})",
        )
    ]


def _segment_gap(seg: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    largest = seg.largest_gap
    if largest is None:
        return "No segment has a train score, so no segment gap was judged."
    return [
        Measured(
            "segments:max_gap",
            largest.gap,
            f"Largest {seg.metric} gap (train − test) of a segment ({largest.description}, {largest.rows} rows)",
        )
    ]


def _ece(cls: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if cls.ece is None:
        return "The model gives no probabilities (predict_proba), so its calibration was not measured."
    of = (cls.reliability or {}).get("of", "")
    return [Measured("calibration:ece", cls.ece, f"Expected calibration error of the out-of-fold probabilities ({of})")]


def _rate(check: str, issue: str, what: str) -> Any:
    def measure(found: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
        rate = found.rate(issue)
        if rate is None:
            return f"Datalab did not look for {what}."
        sample = f" in a sample of {found.rows}" if found.sampled else f" of {found.rows}"
        return [Measured(check, rate, f"Share of training rows{sample} that are {what}")]

    return measure


_MISSING = "It was not computed."
for _spec in (
    RuleSpec("segments:min_test_score", "segments", "segments.min_test_score", _worst_segment, at_most=False, missing=_MISSING),
    RuleSpec("segments:max_gap", "segments", "segments.max_gap", _segment_gap, missing=_MISSING),
    RuleSpec(
        "calibration:ece",
        "classification",
        "calibration.max_ece",
        _ece,
        missing="There is no classification evidence (a regressor, or it was not computed).",
    ),
    RuleSpec(
        "data_issues:duplicates",
        "data_issues",
        "data_issues.max_duplicate_rate",
        _rate("data_issues:duplicates", "exact_duplicate", "exact copies of another row"),
        missing=_MISSING,
    ),
    RuleSpec(
        "data_issues:near_duplicates",
        "data_issues",
        "data_issues.max_near_duplicate_rate",
        _rate("data_issues:near_duplicates", "near_duplicate", "near duplicates"),
        missing=_MISSING,
    ),
    RuleSpec(
        "data_issues:conflicting_labels",
        "data_issues",
        "data_issues.max_conflicting_rate",
        _rate("data_issues:conflicting_labels", "conflicting_label", "copies of a row with another label"),
        missing=_MISSING,
    ),
    RuleSpec(
        "data_issues:outliers",
        "data_issues",
        "data_issues.max_outlier_rate",
        _rate("data_issues:outliers", "outlier", "outliers"),
        missing=_MISSING,
    ),
):
    register(_spec)
