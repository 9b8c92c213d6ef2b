"""The policy file: limits the gate enforces, validated with pydantic.

A policy is TOML or YAML. Every limit is either a number or a table
``{limit = 0.1, severity = "warn"}``; a section's ``severity`` is the default
for its rules. Unknown keys are rejected. :func:`load_policy` turns every
problem into one :class:`~gapgates.errors.PolicyError` line.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError, create_model, model_validator
from pydantic.fields import FieldInfo

from gapgates.config import short_repr
from gapgates.errors import PolicyError
from gapgates.judge.checks import Outcome, Severity

__all__ = [
    "DEFAULT_MAX_REPEATS",
    "DEFAULT_POLICY_PATH",
    "MAX_REPEATS",
    "Between",
    "Fraction",
    "GapLimit",
    "Level",
    "MetricLimits",
    "NonNegative",
    "Policy",
    "PolicySection",
    "RowCount",
    "Rule",
    "RuleField",
    "Score",
    "load_policy",
    "policy_hash",
    "policy_ranges",
]

DEFAULT_POLICY_PATH = Path(__file__).parents[1] / "policies" / "default.toml"

#: ``[gap] max_repeats`` when the policy does not set it (chosen from benchmarks/bench_stability.py).
DEFAULT_MAX_REPEATS = 4
#: The largest accepted ``[gap] max_repeats``: past ~10 repeats the interval hardly narrows.
MAX_REPEATS = 20


def _rule_from_number(value: Any) -> Any:
    if isinstance(value, bool):
        return value  # let pydantic reject it with its own message
    if isinstance(value, (int, float)):
        return {"limit": value}
    return value


class Rule(BaseModel):
    """One limit and, optionally, its own severity.

    Attributes:
        limit: The number the computed value is compared with.
        severity: ``block`` or ``warn``; None inherits the section's severity.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: float
    severity: Severity | None = None


RuleField = Annotated[Rule | None, BeforeValidator(_rule_from_number)]


@dataclass(frozen=True)
class Between:
    """The range of a policy value, declared once, on its field: ``Annotated[float, Between(0, 1)]``.

    The section's validator checks it and words the error (``The 'max_gap' limit must be a number
    between 0 and 1. Got 1.5.``); of a :data:`RuleField` it checks the ``limit``. A non-finite value
    is never in range. :func:`policy_ranges` lists every declaration.

    Attributes:
        low: Smallest accepted value (``-math.inf``: no lower bound).
        high: Largest accepted value (``math.inf``: no upper bound).
        low_inclusive: Whether ``low`` itself is accepted.
        high_inclusive: Whether ``high`` itself is accepted.
        unbounded_for_neg_metrics: No upper bound when the limit is of a ``neg_*`` metric (a negated
            error such as ``neg_log_loss`` is not a fraction): ``max_gap``.
    """

    low: float = -math.inf
    high: float = math.inf
    low_inclusive: bool = True
    high_inclusive: bool = True
    unbounded_for_neg_metrics: bool = False

    def for_metric(self, *, neg: bool) -> Between:
        """The range that applies to a limit of a ``neg_*`` metric (``neg=True``) or of another one."""
        return replace(self, high=math.inf) if neg and self.unbounded_for_neg_metrics else self

    def contains(self, value: float) -> bool:
        """Whether ``value`` is in the range."""
        if not math.isfinite(value):
            return False
        above = value >= self.low if self.low_inclusive else value > self.low
        below = value <= self.high if self.high_inclusive else value < self.high
        return above and below

    def describe(self, *, integer: bool = False) -> str:
        """The range in the words of the error messages: ``a number between 0 and 1``,
        ``a number strictly between 0 and 1``, ``an integer of at least 1``."""
        noun = "an integer" if integer else "a number"
        low = "minus infinity" if math.isinf(self.low) else f"{self.low:g}"
        high = "infinity" if math.isinf(self.high) else f"{self.high:g}"
        if self.low_inclusive and self.high_inclusive:
            return f"{noun} of at least {low}" if integer and math.isinf(self.high) else f"{noun} between {low} and {high}"
        if not (self.low_inclusive or self.high_inclusive):
            return f"{noun} strictly between {low} and {high}"
        parts = [f"{'at least' if self.low_inclusive else 'greater than'} {low}"] if math.isfinite(self.low) else []
        parts += [f"{'at most' if self.high_inclusive else 'less than'} {high}"] if math.isfinite(self.high) else []
        return f"{noun} {' and '.join(parts)}"


# The ranges most fields share. A field with another range declares it inline: Annotated[RuleField, Between(-1, 1)].
#: A rule whose limit is a share, in [0, 1].
Fraction = Annotated[RuleField, Between(0, 1)]
#: A rule whose limit is an amount of at least 0, with no upper bound.
NonNegative = Annotated[RuleField, Between(0)]
#: A gap limit: a share, unbounded above for ``neg_*`` metrics.
GapLimit = Annotated[RuleField, Between(0, 1, unbounded_for_neg_metrics=True)]
#: A rule whose limit is a score floor: any finite number.
Score = Annotated[RuleField, Between()]
#: A confidence or significance level, strictly between 0 and 1.
Level = Annotated[float, Between(0, 1, low_inclusive=False, high_inclusive=False)]
#: A number of rows, at least 1.
RowCount = Annotated[StrictInt, Between(1)]


def _marker(info: FieldInfo) -> Between | None:
    return next((item for item in info.metadata if isinstance(item, Between)), None)


def _declared_range(info: FieldInfo) -> Between | None:
    """The range declared on a field: its :class:`Between`, or pydantic's own ``ge``/``gt``/``le``/``lt``."""
    marker = _marker(info)
    if marker is not None:
        return marker
    bounds = {key: getattr(item, key) for item in info.metadata for key in ("ge", "gt", "le", "lt") if hasattr(item, key)}
    if not bounds:
        return None
    return Between(
        low=bounds.get("ge", bounds.get("gt", -math.inf)),
        high=bounds.get("le", bounds.get("lt", math.inf)),
        low_inclusive="gt" not in bounds,
        high_inclusive="lt" not in bounds,
    )


def _check_ranges(values: BaseModel, *, prefix: str = "", neg_metric: bool = False) -> None:
    """Raise the first value of ``values`` outside the :class:`Between` declared on its field.

    ``prefix`` goes before the field's name in the message; ``neg_metric``: the limits are of a ``neg_*`` metric.
    """
    for name, info in type(values).model_fields.items():
        marker = _marker(info)
        value = getattr(values, name)
        if marker is None or value is None:
            continue
        between = marker.for_metric(neg=neg_metric)
        number = value.limit if isinstance(value, Rule) else value
        if not between.contains(number):
            integer = info.annotation is int
            got = number if integer else f"{number:g}"
            limit = " limit" if isinstance(value, Rule) else ""
            raise ValueError(f"The '{prefix}{name}'{limit} must be {between.describe(integer=integer)}. Got {got}.")


class PolicySection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity = Severity.BLOCK

    def severity_of(self, rule: Rule) -> Severity:
        """The severity a rule of this section has."""
        return rule.severity or self.severity

    def _neg_metric(self) -> bool:
        """Whether this section's limits are of a ``neg_*`` metric (see :attr:`Between.unbounded_for_neg_metrics`)."""
        return False

    @model_validator(mode="after")
    def _values_in_range(self) -> PolicySection:
        _check_ranges(self, neg_metric=self._neg_metric())
        return self


class MetricLimits(BaseModel):
    """``[gap.per_metric.<scoring name>]``: the gap limits of one metric, overriding ``[gap]``'s.

    Only the keys given override: ``[gap.per_metric.neg_log_loss] max_gap = 0.3`` keeps ``[gap]``'s
    ``max_relative_gap`` for log loss.

    Attributes:
        max_gap: Limit on train − test for this metric.
        max_relative_gap: Limit on (train − test) / |train| for this metric.
        severity: ``block`` or ``warn`` for this metric's gap checks (None: ``[gap]``'s).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_gap: GapLimit = None
    max_relative_gap: NonNegative = None
    severity: Severity | None = None

    def override(self, name: str) -> bool:
        """Whether this table sets the limit ``name`` (``max_gap`` or ``max_relative_gap``) or the severity."""
        return name in self.model_fields_set or "severity" in self.model_fields_set


def _known_scoring(name: str) -> bool:
    from sklearn.metrics import get_scorer_names

    return name in get_scorer_names()


class GapPolicy(PolicySection):
    """``[gap]``: limits on train − test, for every listed metric.

    Attributes:
        metrics: sklearn scoring names; the first is the primary metric. Empty means
            ``accuracy`` for classifiers and ``r2`` for regressors.
        max_gap: Absolute limit on train − test (a fraction; unbounded for ``neg_*`` metrics).
        max_relative_gap: Limit on (train − test) / |train|.
        gate_on: Compare the ``mean`` gap or the ``upper`` bound of its interval.
        confidence: Confidence level of the interval.
        max_repeats: The most repeats of k-fold added, one at a time, while a gated interval
            straddles its limit (``gate_on = "upper"``; see :mod:`gapgates.pipeline.repeats`).
            0 never adds any. At most :data:`MAX_REPEATS`.
        per_metric: ``{scoring name: MetricLimits}``: limits of one metric overriding ``max_gap``,
            ``max_relative_gap`` and ``severity`` (a policy mixing bounded and unbounded metrics).
        mode: ``contextual`` (the default): a gap over its limit blocks only when it costs held-out score — a
            reference (the strong baseline, the training curve's early-stopping point) scores significantly better
            on the same folds, by more than ``max_cost``; a gap that costs nothing is a *benign* gap (a warning).
            ``absolute``: every gap over its limit blocks.
        max_cost: How much mean held-out score (of the gap's metric) a reference may beat the candidate by before
            the gap counts as costing it (contextual mode).
        cost_margin: How many standard errors of the mean per-fold difference a reference's mean advantage must
            clear ``max_cost`` by to count (1.5; 0: the mean alone). A mean within the folds' noise of ``max_cost``
            lands on either side of it with the fold seed, and so would the decision.
        on_inconclusive: Contextual mode, a gap over its limit that a reference beats on average by more than
            ``max_cost`` but not significantly: ``warn`` (with advice), ``block``, ``interpolating``: block when the
            model interpolates its training rows (train score at its metric's best, as an unbounded tree or
            1-nearest-neighbour model does), warn otherwise; or ``established`` (the default): block as
            ``interpolating`` does and also when the gap's whole interval is over the limit (the gap is
            established, only its cost is not significant), warn otherwise. Decided on the mean cost, the block
            does not hang on a significance the fold seed tips either way.
    """

    metrics: list[str] = Field(default_factory=list)
    max_gap: GapLimit = Rule(limit=0.05)
    max_relative_gap: NonNegative = None
    gate_on: Literal["mean", "upper"] = "upper"
    confidence: Level = 0.95
    max_repeats: Annotated[StrictInt, Between(0, MAX_REPEATS)] = DEFAULT_MAX_REPEATS
    per_metric: dict[str, MetricLimits] = Field(default_factory=dict)
    mode: Literal["contextual", "absolute"] = "contextual"
    max_cost: Annotated[float, Between(0)] = 0.01
    cost_margin: Annotated[float, Between(0)] = 1.5
    on_inconclusive: Literal["warn", "block", "interpolating", "established"] = "established"

    def _neg_metric(self) -> bool:
        return any(m.startswith("neg_") for m in self.metrics)

    @model_validator(mode="after")
    def _check(self) -> GapPolicy:
        self._check_per_metric()
        if len(set(self.metrics)) != len(self.metrics):
            raise ValueError(f"The 'metrics' list must not repeat a metric. Got {self.metrics}.")
        return self

    def _check_per_metric(self) -> None:
        for name, limits in self.per_metric.items():
            if not _known_scoring(name):
                raise ValueError(
                    f"The 'per_metric' table '{name}' must name a scikit-learn scoring name (see "
                    f"sklearn.metrics.get_scorer_names(), e.g. neg_log_loss). Got '{name}'."
                )
            if self.metrics and name not in self.metrics:
                raise ValueError(
                    f"The 'per_metric' table '{name}' must name a metric of [gap] metrics "
                    f"({', '.join(self.metrics)}), or it never applies. Got '{name}'."
                )
            _check_ranges(limits, prefix=f"per_metric.{name}.", neg_metric=name.startswith("neg_"))

    def limits_of(self, name: str, metric: str) -> tuple[Rule | None, Severity]:
        """The limit ``name`` (``max_gap`` or ``max_relative_gap``) for one metric and its severity:
        the metric's ``[gap.per_metric.<metric>]`` value where set, else ``[gap]``'s."""
        rule: Rule | None = getattr(self, name)
        limits = self.per_metric.get(metric)
        if limits is None or not limits.override(name):
            return rule, (self.severity_of(rule) if rule is not None else self.severity)
        if name in limits.model_fields_set:
            rule = getattr(limits, name)
        section = limits.severity or self.severity
        return rule, (rule.severity or section) if rule is not None else section


class PerformancePolicy(PolicySection):
    """``[performance]``: floors on the primary metric's test score.

    Attributes:
        min_test_score: The mean cross-validated test score must reach this.
        min_gain_over_baseline: Test score minus the dummy baseline's must reach this.
    """

    min_test_score: Score = None
    min_gain_over_baseline: Annotated[RuleField, Between(-1, 1)] = Rule(limit=0.0)


#: The strong baseline's reference models (:data:`gapgates.compute.baseline.STRONG_MODELS`).
BaselineModel = Literal["hgb", "linear", "forest"]


class BaselinePolicy(PolicySection):
    """``[baseline]``: the strong baseline scored on the candidate's folds (:func:`gapgates.compute.baseline.strong_baseline`).

    Attributes:
        models: The references: ``hgb`` (HistGradientBoosting with early stopping), ``linear`` (logistic or ridge
            regression on scaled, one-hot encoded features), ``forest`` (a random forest of 100 trees, defaults); the
            best by mean test score is the strong baseline.
            Empty: no strong baseline (and the contextual gap rule has only the training curve to go by).
        max_rows: Fit each fold's reference on at most this many training rows (a random subset).
        max_shortfall: Largest accepted shortfall of the candidate's test score below the strong baseline's: the
            lower bound of the paired difference's corrected interval (``warn`` by default).
    """

    models: list[BaselineModel] = Field(default_factory=lambda: list(get_args(BaselineModel)))
    max_rows: StrictInt = Field(default=10_000, ge=100)
    max_shortfall: NonNegative = Rule(limit=0.02, severity=Severity.WARN)

    @model_validator(mode="after")
    def _distinct(self) -> BaselinePolicy:
        if len(set(self.models)) != len(self.models):
            raise ValueError(f"The 'models' list must not repeat a model. Got {self.models}.")
        return self


class NoisePolicy(PolicySection):
    """``[noise]``: label-noise limits (classification).

    Attributes:
        max_rate: Largest accepted share of rows flagged as label issues (absolute: a loose ceiling,
            since hard data with a high Bayes error has many flagged rows whatever its labelling).
        max_rate_increase: Largest accepted increase of that share over the reference: the rate
            recorded for the registry's production version, or without a registry the last
            promoted run of the same model in the history. Skipped (with its reason) without one.
        max_class_rate: Largest accepted share within any one class.
        max_confident_error_ratio: First run only (no reference rate): largest accepted ratio of the
            share of contradicted labels among the ``confident_share`` of rows a model is surest of to
            that share over all rows, the highest among the strong baseline's references (their out-of-fold
            predictions; the model's own without a strong baseline). Random flips land anywhere (ratio near
            1), unless a model memorises them; on clean data, even hard data, the errors gather where the
            models hesitate (ratio well below 1). Skipped with a reference, where ``max_rate_increase`` judges.
        confident_share: The share of rows, by the model's largest out-of-fold probability, counted as its surest.
        filter_by: cleanlab ``find_label_issues`` method.
    """

    max_rate: Fraction = Rule(limit=0.25)
    max_rate_increase: Fraction = Rule(limit=0.03)
    max_class_rate: Fraction = None
    max_confident_error_ratio: NonNegative = Rule(limit=0.6)
    confident_share: Level = 0.3
    filter_by: Literal[
        "prune_by_noise_rate",
        "prune_by_class",
        "both",
        "confident_learning",
        "predicted_neq_given",
        "low_normalized_margin",
        "low_self_confidence",
    ] = "prune_by_noise_rate"


class ShiftPolicy(PolicySection):
    """``[shift]``: train/holdout shift by adversarial validation.

    Attributes:
        max_auc: Largest accepted AUC of a classifier telling train rows from holdout rows.
        max_drifted_columns: Most feature columns whose per-column test (KS numeric, chi-square
            categorical) finds drift between training rows and the holdout (None: not judged).
        drift_alpha: Family-wise significance level of those tests (Bonferroni over the columns).
    """

    max_auc: Fraction = Rule(limit=0.75)
    max_drifted_columns: NonNegative = None
    drift_alpha: Level = 0.01


class LeakagePolicy(PolicySection):
    """``[leakage]``: holdout rows copied from training, target-leaking columns, rows repeated across folds.

    Attributes:
        max_duplicate_rate: Largest accepted share of holdout rows that duplicate a training row, beyond the share
            of training rows that duplicate another training row (a table's own repeated rows are not a leak).
        max_feature_score: Largest accepted score of a single feature predicting the target alone.
        max_label_kappa: Largest accepted Cohen's κ between the label and a column holding the label's values
            (classification).
        max_target_correlation: Largest accepted |Pearson r| between a numeric column and the target (regression).
        max_proxy_closure: For a column that alone comes within 90 % of the model's skill over the dummy, the
            largest accepted share of the error left by the other columns (the model refit without it on the same
            folds) that the column removes on its own.
        max_repeated_share: Largest share of training rows with a copy (exact, near, or of one entity) in another
            fold before a warning names them with their optimism.
        max_optimism: Largest accepted lower bound (one-sided 95 %, over the folds) of the reported minus honest
            test score, the honest one refit with each cluster of copied rows kept in one fold.
    """

    max_duplicate_rate: Fraction = Rule(limit=0.01)
    max_feature_score: Fraction = Rule(limit=0.99)
    max_label_kappa: Fraction = Rule(limit=0.6)
    max_target_correlation: Fraction = Rule(limit=0.93)
    max_proxy_closure: Fraction = Rule(limit=0.875)
    max_repeated_share: Fraction = Rule(limit=0.05, severity=Severity.WARN)
    max_optimism: Fraction = Rule(limit=0.03)


class QualityPolicy(PolicySection):
    """``[quality]``: the data-quality gate (Great Expectations).

    Attributes:
        required: Whether failing critical expectations blocks before any model is trained.
        suite: Path to a GX suite JSON to run as well as the built-in one.
        min_rows: Smallest accepted number of rows.
        max_null_fraction: Largest accepted share of nulls in any column.
        labels: The declared set of target values (None: the set seen in the data).
    """

    required: bool = True
    suite: str | None = None
    min_rows: int = Field(default=1, ge=0)
    max_null_fraction: Fraction = Rule(limit=0.5)
    labels: list[Any] | None = None


class ChampionPolicy(PolicySection):
    """``[champion]``: the candidate against the production model.

    Attributes:
        max_regression: Largest accepted drop of the primary test score versus the champion.
        max_gap_increase: Largest accepted growth of the gap versus the champion's.
    """

    max_regression: Fraction = Rule(limit=0.01)
    max_gap_increase: Fraction = None


class TrendPolicy(PolicySection):
    """``[trend]``: the gap across the last runs of the same model.

    Attributes:
        max_gap_increase: Largest accepted widening of the primary gap across the window.
        window: How many past runs to look at.
    """

    max_gap_increase: Fraction = None
    window: int = Field(default=5, ge=2)


class MonitorPolicy(PolicySection):
    """``[monitor]``: when the production model needs retraining (``gapgates monitor``).

    A breached rule of severity ``block`` (the section's default) decides ``retrain``; of severity
    ``warn``, ``warn``. No breach: ``ok``.

    Attributes:
        max_production_gap: Largest accepted production gap (test score recorded at promotion −
            score on the fresh rows), every metric. Not bounded above: ``neg_*`` metrics are unbounded.
        max_drift_auc: Largest accepted AUC of a classifier telling fresh rows from the training sample.
        max_drifted_share: Largest accepted share of feature columns whose per-column test finds drift.
        gate_on: Compare the ``mean`` production gap, or the ``lower`` (retrain only on conclusive
            evidence) or ``upper`` (retrain early) bound of its interval.
        confidence: Confidence level of the intervals on the fresh scores.
        drift_alpha: Family-wise significance level of the per-column drift tests (Bonferroni).
        min_rows: Fewest fresh rows monitored; fewer is bad input.
        on_quality_fail: What fresh rows failing a critical data-quality expectation decide
            (``warn``, or ``retrain``).
        max_estimated_gap: Largest accepted *estimated* production gap (test score at promotion − the score
            estimated without labels, :mod:`gapgates.compute.estimate`), every estimated metric; label-free runs only.
        max_estimate_ece: Largest expected calibration error of the version's stored out-of-fold probabilities
            before the estimate is called untrustworthy (label-free runs of classifiers).
        max_support_auc: Largest drift AUC at which the fresh rows still lie within the training rows' support;
            above it the label-free estimate extrapolates and is called untrustworthy.
        estimate_gate_on: What ``max_estimated_gap`` compares: ``auto`` (the default) the estimated gap's mean while
            the fresh rows pass the per-column drift test of every column the estimate reads, the upper bound of
            its interval once one fails (drifted rows are where the estimate extrapolates and leans optimistic); a
            correctness model reads the features it names, leaving out ids and dates; or always the ``mean``, or the
            ``upper`` (retrain early) or ``lower`` bound. The interval is that of the batch's *realised* score, so it
            widens as the batch shrinks: with ``"upper"`` an unshifted batch of a few hundred rows or fewer retrains
            on its sampling noise alone, which ``auto`` avoids (a small batch fails a drift test only when it has
            moved far). On the estimate benchmark's 3 real tables (300 batches of 1,000 rows) ``auto`` sent all 105
            shifted batches whose labelled gap was over the limit to ``retrain`` and kept all 150 unshifted ones
            ``ok``; the mean sent 92 of the 105. Measured on classifiers (CBPE) only.
    """

    max_production_gap: NonNegative = Rule(limit=0.05)
    max_drift_auc: Fraction = Rule(limit=0.75)
    max_drifted_share: Fraction = Rule(limit=0.5, severity=Severity.WARN)
    max_estimated_gap: NonNegative = Rule(limit=0.05)
    max_estimate_ece: Fraction = Rule(limit=0.1, severity=Severity.WARN)
    max_support_auc: Fraction = Rule(limit=0.95, severity=Severity.WARN)
    gate_on: Literal["mean", "lower", "upper"] = "mean"
    estimate_gate_on: Literal["auto", "mean", "lower", "upper"] = "auto"
    confidence: Level = 0.95
    drift_alpha: Level = 0.01
    min_rows: RowCount = 30
    on_quality_fail: Literal["warn", "retrain"] = "warn"


class SegmentsPolicy(PolicySection):
    """``[segments]``: weak segments (:mod:`gapgates.compute.segments`). Both limits are off by default:
    a segment is a slice picked *after* looking at the errors, so a floor on the worst one is a
    deliberate, per-model choice.

    Attributes:
        min_rows: Slices with fewer rows are neither reported nor judged.
        min_test_score: The upper bound of the worst segment's score interval (accuracy, or negative
            mean absolute error for regression) must reach this.
        max_gap: Largest accepted train − test gap of any segment.
    """

    min_rows: RowCount = 30
    min_test_score: Score = None
    max_gap: NonNegative = None


class CalibrationPolicy(PolicySection):
    """``[calibration]``: how far the out-of-fold probabilities are from observed frequencies.

    Attributes:
        max_ece: Largest accepted expected calibration error (off by default: a model used only for
            its labels need not be calibrated).
    """

    max_ece: Fraction = None


class DataIssuesPolicy(PolicySection):
    """``[data_issues]``: training-data issues found by cleanlab's Datalab (every limit off by default).

    Attributes:
        max_rows: Datalab audits a random sample of this many rows when there are more (its k-NN graph
            grows with the rows).
        max_duplicate_rate: Largest accepted share of rows with an exact copy in the training data.
        max_near_duplicate_rate: Largest accepted share of rows Datalab flags as near duplicates.
        max_conflicting_rate: Largest accepted share of rows with an exact copy that has another label.
        max_outlier_rate: Largest accepted share of rows Datalab flags as outliers.
    """

    max_rows: StrictInt = Field(default=5000, ge=100)
    max_duplicate_rate: Fraction = None
    max_near_duplicate_rate: Fraction = None
    max_conflicting_rate: Fraction = None
    max_outlier_rate: Fraction = None


class NotifyPolicy(BaseModel):
    """``[notify]``: an optional webhook told about some outcomes.

    Attributes:
        webhook_url: Where to POST the Markdown summary (Slack-compatible ``text`` field).
        on: Outcomes that trigger a notification.
        timeout: Seconds the whole request may take (connect, send, answer), at most 300.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    webhook_url: str | None = None
    on: list[Outcome] = Field(default_factory=lambda: [Outcome.BLOCK, Outcome.NEEDS_APPROVAL])
    timeout: float = Field(default=10.0, gt=0, le=300)

    @model_validator(mode="after")
    def _check_url(self) -> NotifyPolicy:
        url = self.webhook_url
        if url is None:
            return self
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"The 'webhook_url' must start with http:// or https://. Got {url!r}.")
        from urllib.parse import urlsplit

        try:  # refused now, not when the run ends: a URL that cannot be parsed would fail the webhook every time
            parts = urlsplit(url)
            parts.port  # noqa: B018 - parsing the port raises on a bad one
        except ValueError as err:
            raise ValueError(f"The 'webhook_url' must be a valid http(s) URL ({err}). Got {url!r}.") from None
        if not parts.hostname:
            raise ValueError(f"The 'webhook_url' must name a host. Got {url!r}.")
        return self


class DecisionPolicy(BaseModel):
    """``[decision]``: what a failing check leads to.

    Attributes:
        on_fail: ``block`` or ``needs_approval``.
        approval_timeout: Seconds a human has to approve before the run is blocked.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    on_fail: Literal["block", "needs_approval"] = "block"
    approval_timeout: int = Field(default=3600, gt=0)

    @property
    def fail_outcome(self) -> Outcome:
        """The :class:`Outcome` a failing check leads to."""
        return Outcome(self.on_fail)


class Policy(BaseModel):
    """The whole policy. ``Policy()`` is the shipped default (``policies/default.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gap: GapPolicy = GapPolicy()
    performance: PerformancePolicy = PerformancePolicy()
    baseline: BaselinePolicy = BaselinePolicy()
    noise: NoisePolicy = NoisePolicy()
    shift: ShiftPolicy = ShiftPolicy()
    leakage: LeakagePolicy = LeakagePolicy()
    quality: QualityPolicy = QualityPolicy()
    champion: ChampionPolicy = ChampionPolicy()
    trend: TrendPolicy = TrendPolicy()
    monitor: MonitorPolicy = MonitorPolicy()
    segments: SegmentsPolicy = SegmentsPolicy()
    calibration: CalibrationPolicy = CalibrationPolicy()
    data_issues: DataIssuesPolicy = DataIssuesPolicy()
    notify: NotifyPolicy = NotifyPolicy()
    decision: DecisionPolicy = DecisionPolicy()

    def __reduce__(self) -> tuple[Any, ...]:
        # The model with the measurements' sections is made at run time (policy_model), so pickle cannot name its
        # class: a process worker or Prefect's result store rebuilds it from the class it extends and the values.
        cls = type(self)
        return _rebuild_policy, (_BASES.get(cls, cls), cls in _BASES, self.model_dump(mode="json"))


#: The ``[table]`` sections the registered measurements add to the policy (:func:`register_section`), by name.
SECTIONS: dict[str, type[PolicySection]] = {}


def register_section(name: str, section: type[PolicySection], *, replace: bool = False) -> None:
    """Add a ``[name]`` table to the policy model: the limits of a measurement that declares its own section
    (:attr:`gapgates.measurements.base.Measurement.policy`). :func:`load_policy` and :func:`parse_policy` then accept
    it, with the section's defaults when a file leaves it out.

    Raises:
        ValueError: If ``name`` is not an identifier, is a built-in section, or is taken (and ``replace`` is False).
    """
    if not name.isidentifier() or name in Policy.model_fields:
        raise ValueError(
            f"A measurement's policy section needs a new name (an identifier, not a built-in section). Got {name!r}."
        )
    if name in SECTIONS and SECTIONS[name] is not section and not replace:
        raise ValueError(f"The policy section [{name}] is already registered. Pass replace=True to replace it.")
    SECTIONS[name] = section


def unregister_section(name: str) -> None:
    """Remove a registered policy section (no error when it is not there)."""
    SECTIONS.pop(name, None)


#: The class each policy model made by :func:`policy_model` extends.
_BASES: dict[type, type] = {}


@lru_cache(maxsize=32)
def _extended(base: type[Policy], sections: tuple[tuple[str, type[PolicySection]], ...]) -> type[Policy]:
    fields: dict[str, Any] = {name: (section, section()) for name, section in sections}
    model = create_model(base.__name__, __base__=base, __module__=base.__module__, **fields)
    _BASES[model] = _BASES.get(base, base)
    return model


def _rebuild_policy(base: type[Policy], extended: bool, values: dict[str, Any]) -> Policy:
    return (policy_model(base) if extended else base).model_validate(values)


def policy_model(base: type[Policy] = Policy) -> type[Policy]:
    """``base`` with every registered measurement's section added (``base`` itself when none is registered).

    The measurement registry is imported first, by name (as a plugin host loads its plugins: the built-in
    measurements register their sections when :mod:`gapgates.measurements` is imported), so a policy file with a
    measurement's table loads the same in every command, whatever that command imported before.

    Example:
        >>> issubclass(policy_model(), Policy) and "recall" in policy_model().model_fields
        True
    """
    import_module("gapgates.measurements")
    missing = tuple((name, section) for name, section in SECTIONS.items() if name not in base.model_fields)
    return _extended(base, missing) if missing else base


def policy_ranges(model: type[Policy] | None = None) -> dict[str, Between]:
    """The declared range of every number of a policy, by dotted key (for a reference page).

    Args:
        model: The policy model: :class:`Policy`, or a subclass with the sections of added rules.

    Returns:
        ``{"gap.max_gap": Between(0, 1, unbounded_for_neg_metrics=True), "gap.confidence": ..., ...}``
        in declaration order. A ``[gap.per_metric.<name>]`` limit is keyed ``gap.per_metric.<name>.max_gap``;
        a range pydantic checks (``Field(ge=...)``) is given as a :class:`Between` too.

    Example:
        >>> policy_ranges()["noise.max_rate"]
        Between(low=0, high=1, low_inclusive=True, high_inclusive=True, unbounded_for_neg_metrics=False)
    """
    return dict(_ranges(policy_model(Policy if model is None else model), ""))


def _ranges(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, Between]]:
    for name, info in model.model_fields.items():
        declared = _declared_range(info)
        if declared is not None:
            yield f"{prefix}{name}", declared
        nested, key = info.annotation, ""
        if get_origin(nested) is dict:
            nested, key = get_args(nested)[1], "<name>."
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            yield from _ranges(nested, f"{prefix}{name}.{key}")


def _format_error(err: ValidationError, source: str, model_cls: type[Policy] = Policy) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if not isinstance(p, int)) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        section = where.rsplit(".", 1)[0] if "." in where else None
        model: type[BaseModel] = model_cls
        if "per_metric" in first["loc"][:-1]:
            model = MetricLimits
        elif section:
            model = type(getattr(model_cls(), section.split(".")[0]))
        allowed = ", ".join(model.model_fields)
        return f"{source}: unknown key '{where}'. Allowed keys here: {allowed}."
    msg = first["msg"].removeprefix("Value error, ")
    if kind == "value_error":
        return f"{source}: [{where.rsplit('.', 1)[0] if '.' in where else where}] {msg}"
    got = short_repr(first.get("input"))
    if kind in {"model_type", "model_attributes_type", "dict_type"} and "per_metric" in where.split(".")[-2:]:
        return f"{source}: '{where}' must be a table like {{max_gap = 0.3, severity = \"warn\"}}. Got {got}."
    if kind in {"model_type", "model_attributes_type", "dict_type"} and where.split(".")[-1] != where:
        return f"{source}: '{where}' must be a number or a table like {{limit = 0.05, severity = \"warn\"}}. Got {got}."
    return f"{source}: '{where}' {msg[0].lower() + msg[1:]}. Got {got}."


def parse_policy(data: dict[str, Any], *, source: str = "policy", model: type[Policy] | None = None) -> Policy:
    """Validate a policy given as a mapping.

    Args:
        data: The parsed TOML/YAML content.
        source: Name used in error messages (usually the file path).
        model: The policy model: :class:`Policy` (the default), or a subclass with the sections of added rules; the
            sections the registered measurements declare are added to it (:func:`policy_model`).

    Returns:
        The validated policy.

    Raises:
        PolicyError: If a key is unknown or a value has the wrong type or range.
    """
    model = policy_model(Policy if model is None else model)
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a policy must be a table of sections such as [gap]. Got {type(data).__name__}.")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise PolicyError(_format_error(err, source, model)) from None


def load_policy(path: str | Path | None = None, *, model: type[Policy] | None = None) -> Policy:
    """Load and validate a TOML or YAML policy file.

    Args:
        path: The file; None loads the shipped default policy.
        model: The policy model: :class:`Policy` (the default), or a subclass with the sections of added rules; the
            sections the registered measurements declare are added to it (:func:`policy_model`).

    Returns:
        The validated policy.

    Raises:
        PolicyError: If the file is missing, unreadable, malformed or invalid.

    Example:
        >>> load_policy().gap.max_gap.limit
        0.05
    """
    from gapgates import documents

    path = Path(path) if path is not None else DEFAULT_POLICY_PATH
    text = documents.read_text(path, "Policy file", error=PolicyError, hint="Pass an existing TOML or YAML file to --policy.")
    source = f"Policy file '{path}'"
    if path.suffix.lower() in {".yaml", ".yml"}:
        data = documents.load_yaml(text, source, error=PolicyError)
        data = {} if data is None else data
    else:
        data = documents.load_toml(text, source, error=PolicyError)
    return parse_policy(data, source=str(path), model=model)


def policy_hash(policy: Policy) -> str:
    """Return the sha256 of the policy's canonical JSON, for audit trails."""
    canonical = json.dumps(policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
