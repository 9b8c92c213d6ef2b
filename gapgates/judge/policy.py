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
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError, model_validator

from gapgates.config import short_repr
from gapgates.errors import PolicyError
from gapgates.judge.checks import Outcome, Severity

__all__ = [
    "DEFAULT_MAX_REPEATS",
    "DEFAULT_POLICY_PATH",
    "MAX_REPEATS",
    "MetricLimits",
    "Policy",
    "PolicySection",
    "Rule",
    "RuleField",
    "load_policy",
    "policy_hash",
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


def _check_range(name: str, rule: Rule | None, low: float, high: float) -> None:
    if rule is None:
        return
    if not (math.isfinite(rule.limit) and low <= rule.limit <= high):
        high_txt = "infinity" if math.isinf(high) else f"{high:g}"
        low_txt = "minus infinity" if math.isinf(low) else f"{low:g}"
        raise ValueError(f"The '{name}' limit must be a number between {low_txt} and {high_txt}. Got {rule.limit:g}.")


class PolicySection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity = Severity.BLOCK

    def severity_of(self, rule: Rule) -> Severity:
        """The severity a rule of this section has."""
        return rule.severity or self.severity

    _fractions: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _limits_are_fractions(self) -> PolicySection:
        for name in self._fractions:
            _check_range(name, getattr(self, name), 0.0, 1.0)
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

    max_gap: RuleField = None
    max_relative_gap: RuleField = None
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
    """

    metrics: list[str] = Field(default_factory=list)
    max_gap: RuleField = Rule(limit=0.05)
    max_relative_gap: RuleField = None
    gate_on: Literal["mean", "upper"] = "upper"
    confidence: float = 0.95
    max_repeats: StrictInt = DEFAULT_MAX_REPEATS
    per_metric: dict[str, MetricLimits] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> GapPolicy:
        unbounded = any(m.startswith("neg_") for m in self.metrics)
        _check_range("max_gap", self.max_gap, 0.0, math.inf if unbounded else 1.0)
        _check_range("max_relative_gap", self.max_relative_gap, 0.0, math.inf)
        self._check_per_metric()
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"The 'confidence' must be a number strictly between 0 and 1. Got {self.confidence:g}.")
        if len(set(self.metrics)) != len(self.metrics):
            raise ValueError(f"The 'metrics' list must not repeat a metric. Got {self.metrics}.")
        if not 0 <= self.max_repeats <= MAX_REPEATS:
            raise ValueError(f"The 'max_repeats' must be an integer between 0 and {MAX_REPEATS}. Got {self.max_repeats}.")
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
            _check_range(f"per_metric.{name}.max_gap", limits.max_gap, 0.0, math.inf if name.startswith("neg_") else 1.0)
            _check_range(f"per_metric.{name}.max_relative_gap", limits.max_relative_gap, 0.0, math.inf)

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

    min_test_score: RuleField = None
    min_gain_over_baseline: RuleField = Rule(limit=0.0)

    @model_validator(mode="after")
    def _check(self) -> PerformancePolicy:
        _check_range("min_test_score", self.min_test_score, -math.inf, math.inf)
        _check_range("min_gain_over_baseline", self.min_gain_over_baseline, -1.0, 1.0)
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
        filter_by: cleanlab ``find_label_issues`` method.
    """

    _fractions: ClassVar[tuple[str, ...]] = ("max_rate", "max_rate_increase", "max_class_rate")
    max_rate: RuleField = Rule(limit=0.25)
    max_rate_increase: RuleField = Rule(limit=0.03)
    max_class_rate: RuleField = None
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

    _fractions: ClassVar[tuple[str, ...]] = ("max_auc",)
    max_auc: RuleField = Rule(limit=0.75)
    max_drifted_columns: RuleField = None
    drift_alpha: float = 0.01

    @model_validator(mode="after")
    def _check(self) -> ShiftPolicy:
        _check_range("max_drifted_columns", self.max_drifted_columns, 0.0, math.inf)
        if not 0.0 < self.drift_alpha < 1.0:
            raise ValueError(f"The 'drift_alpha' must be a number strictly between 0 and 1. Got {self.drift_alpha:g}.")
        return self


class LeakagePolicy(PolicySection):
    """``[leakage]``: holdout rows copied from training, and target-leaking features.

    Attributes:
        max_duplicate_rate: Largest accepted share of holdout rows that duplicate a training row.
        max_feature_score: Largest accepted score of a single feature predicting the target alone.
    """

    _fractions: ClassVar[tuple[str, ...]] = ("max_duplicate_rate", "max_feature_score")
    max_duplicate_rate: RuleField = Rule(limit=0.01)
    max_feature_score: RuleField = Rule(limit=0.99)


class QualityPolicy(PolicySection):
    """``[quality]``: the data-quality gate (Great Expectations).

    Attributes:
        required: Whether failing critical expectations blocks before any model is trained.
        suite: Path to a GX suite JSON to run as well as the built-in one.
        min_rows: Smallest accepted number of rows.
        max_null_fraction: Largest accepted share of nulls in any column.
        labels: The declared set of target values (None: the set seen in the data).
    """

    _fractions: ClassVar[tuple[str, ...]] = ("max_null_fraction",)
    required: bool = True
    suite: str | None = None
    min_rows: int = Field(default=1, ge=0)
    max_null_fraction: RuleField = Rule(limit=0.5)
    labels: list[Any] | None = None


class ChampionPolicy(PolicySection):
    """``[champion]``: the candidate against the production model.

    Attributes:
        max_regression: Largest accepted drop of the primary test score versus the champion.
        max_gap_increase: Largest accepted growth of the gap versus the champion's.
    """

    _fractions: ClassVar[tuple[str, ...]] = ("max_regression", "max_gap_increase")
    max_regression: RuleField = Rule(limit=0.01)
    max_gap_increase: RuleField = None


class TrendPolicy(PolicySection):
    """``[trend]``: the gap across the last runs of the same model.

    Attributes:
        max_gap_increase: Largest accepted widening of the primary gap across the window.
        window: How many past runs to look at.
    """

    _fractions: ClassVar[tuple[str, ...]] = ("max_gap_increase",)
    max_gap_increase: RuleField = None
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
    """

    _fractions: ClassVar[tuple[str, ...]] = ("max_drift_auc", "max_drifted_share")
    max_production_gap: RuleField = Rule(limit=0.05)
    max_drift_auc: RuleField = Rule(limit=0.75)
    max_drifted_share: RuleField = Rule(limit=0.5, severity=Severity.WARN)
    gate_on: Literal["mean", "lower", "upper"] = "mean"
    confidence: float = 0.95
    drift_alpha: float = 0.01
    min_rows: StrictInt = 30
    on_quality_fail: Literal["warn", "retrain"] = "warn"

    @model_validator(mode="after")
    def _check(self) -> MonitorPolicy:
        _check_range("max_production_gap", self.max_production_gap, 0.0, math.inf)
        for name in ("confidence", "drift_alpha"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"The '{name}' must be a number strictly between 0 and 1. Got {value:g}.")
        if self.min_rows < 1:
            raise ValueError(f"The 'min_rows' must be an integer of at least 1. Got {self.min_rows}.")
        return self


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

    min_rows: StrictInt = 30
    min_test_score: RuleField = None
    max_gap: RuleField = None

    @model_validator(mode="after")
    def _check(self) -> SegmentsPolicy:
        if self.min_rows < 1:
            raise ValueError(f"The 'min_rows' must be an integer of at least 1. Got {self.min_rows}.")
        _check_range("min_test_score", self.min_test_score, -math.inf, math.inf)
        _check_range("max_gap", self.max_gap, 0.0, math.inf)
        return self


class CalibrationPolicy(PolicySection):
    """``[calibration]``: how far the out-of-fold probabilities are from observed frequencies.

    Attributes:
        max_ece: Largest accepted expected calibration error (off by default: a model used only for
            its labels need not be calibrated).
    """

    _fractions: ClassVar[tuple[str, ...]] = ("max_ece",)
    max_ece: RuleField = None


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

    _fractions: ClassVar[tuple[str, ...]] = (
        "max_duplicate_rate",
        "max_near_duplicate_rate",
        "max_conflicting_rate",
        "max_outlier_rate",
    )
    max_rows: StrictInt = Field(default=5000, ge=100)
    max_duplicate_rate: RuleField = None
    max_near_duplicate_rate: RuleField = None
    max_conflicting_rate: RuleField = None
    max_outlier_rate: RuleField = None


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
        if self.webhook_url is not None and not self.webhook_url.startswith(("http://", "https://")):
            raise ValueError(f"The 'webhook_url' must start with http:// or https://. Got {self.webhook_url!r}.")
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


def _format_error(err: ValidationError, source: str, policy_model: type[Policy] = Policy) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if not isinstance(p, int)) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        section = where.rsplit(".", 1)[0] if "." in where else None
        model: type[BaseModel] = policy_model
        if "per_metric" in first["loc"][:-1]:
            model = MetricLimits
        elif section:
            model = type(getattr(policy_model(), section.split(".")[0]))
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


def parse_policy(data: dict[str, Any], *, source: str = "policy", model: type[Policy] = Policy) -> Policy:
    """Validate a policy given as a mapping.

    Args:
        data: The parsed TOML/YAML content.
        source: Name used in error messages (usually the file path).
        model: The policy model: :class:`Policy`, or a subclass with the sections of added rules.

    Returns:
        The validated policy.

    Raises:
        PolicyError: If a key is unknown or a value has the wrong type or range.
    """
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a policy must be a table of sections such as [gap]. Got {type(data).__name__}.")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise PolicyError(_format_error(err, source, model)) from None


def load_policy(path: str | Path | None = None, *, model: type[Policy] = Policy) -> Policy:
    """Load and validate a TOML or YAML policy file.

    Args:
        path: The file; None loads the shipped default policy.
        model: The policy model: :class:`Policy`, or a subclass with the sections of added rules.

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
