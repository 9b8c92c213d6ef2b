"""The production model scored on newly labelled rows, with an interval, and its *production gap*.

The production gap of a metric is the cross-validated test score recorded when the version was
promoted minus its score on the fresh rows: positive when the model does worse in production than
the gate measured. Every sklearn score is "greater is better" (``neg_*`` metrics are negated), so the
sign means the same for every metric.

Intervals on the fresh score:

* ``accuracy`` is the share of correct predictions, a binomial proportion: the **Wilson score
  interval** (Wilson, 1927), which keeps its coverage near 0 and 1 and on few rows.
* Every other metric (``roc_auc``, ``f1``, ``r2``, ``neg_log_loss``...): a **seeded percentile
  bootstrap** over the fresh rows (:data:`BOOTSTRAP_RESAMPLES` resamples). The model is called once
  per output method; the resamples re-score its recorded outputs, so the bootstrap costs no
  prediction. A resample the metric is undefined on (one class only, for ``roc_auc``) is skipped.
  Above :data:`BOOTSTRAP_MAX_ROWS` fresh rows, each resample draws that many rows (an m-out-of-n
  bootstrap, its interval widened by ``sqrt(m / n)``), so its cost is bounded whatever the batch size.

Probability metrics that take the label set (``neg_log_loss``, multiclass ``roc_auc_ovr``...) are
scored with the model's classes, so a fresh batch missing a rare class is scored, not refused; a
metric still undefined on the batch (``roc_auc`` on one class) is NaN and its check fails with the
reason, never an internal error.

The interval of the gap is the score interval mirrored: ``[promoted − high, promoted − low]``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.exceptions import UndefinedMetricWarning

from gapgates.format import json_number

__all__ = ["BOOTSTRAP_MAX_ROWS", "BOOTSTRAP_RESAMPLES", "ProductionScore", "bootstrap_interval", "score_fresh", "wilson_interval"]

#: Resamples of the percentile bootstrap.
BOOTSTRAP_RESAMPLES = 1000
#: Rows drawn per resample at most (larger batches: m-out-of-n bootstrap, rescaled).
BOOTSTRAP_MAX_ROWS = 20_000


@dataclass(frozen=True)
class ProductionScore:
    """One metric of the production model on fresh rows, against its score at promotion.

    Attributes:
        metric: sklearn scoring name.
        fresh: Score on the fresh rows.
        low: Lower bound of the fresh score's interval.
        high: Upper bound of the fresh score's interval.
        method: ``wilson``, ``bootstrap``, or ``undefined`` when the metric is undefined on the batch
            (for example ``roc_auc`` on rows of one class); ``fresh`` is then NaN and its check fails.
        promoted: The cross-validated test score recorded when the version was promoted (None when
            the version recorded none for this metric).
    """

    metric: str
    fresh: float
    low: float
    high: float
    method: str
    promoted: float | None

    @property
    def gap(self) -> float | None:
        """The production gap: promoted test score − fresh score (positive: worse in production)."""
        return None if self.promoted is None else self.promoted - self.fresh

    @property
    def gap_interval(self) -> tuple[float | None, float | None]:
        """The gap's interval, ``(promoted − high, promoted − low)``."""
        if self.promoted is None:
            return None, None
        return self.promoted - self.high, self.promoted - self.low

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``gap`` entry (the keys :func:`gapgates.history.record_from_report` reads)."""
        low, high = self.gap_interval
        return {
            "promoted_test": json_number(self.promoted),
            "fresh": json_number(self.fresh),
            "fresh_ci_low": json_number(self.low),
            "fresh_ci_high": json_number(self.high),
            "interval": self.method,
            "gap_mean": json_number(self.gap),
            "gap_ci_low": json_number(low),
            "gap_ci_high": json_number(high),
        }


def wilson_interval(successes: int, trials: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Args:
        successes: Successes (correct predictions).
        trials: Trials (rows); at least 1.
        confidence: Confidence level in (0, 1).

    Returns:
        ``(low, high)``, inside [0, 1].

    Example:
        >>> low, high = wilson_interval(90, 100)
        >>> round(low, 3), round(high, 3)
        (0.826, 0.945)
    """
    if trials < 1:
        return math.nan, math.nan
    z = float(stats.norm.ppf((1 + confidence) / 2))
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_interval(
    score: Any,
    rows: int,
    *,
    confidence: float = 0.95,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
    max_rows: int = BOOTSTRAP_MAX_ROWS,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``score(row positions)`` over rows drawn with replacement.

    Args:
        score: ``(positions: np.ndarray) -> float``; may raise ``ValueError`` on a resample it is
            undefined on (that resample is skipped).
        rows: Rows to resample.
        confidence: Confidence level in (0, 1).
        seed: Seed of the resampling.
        resamples: Number of resamples.
        max_rows: Rows drawn per resample at most. With more rows, ``m = max_rows`` are drawn and the
            resampled scores' spread around their median is shrunk by ``sqrt(m / rows)`` (the m-out-of-n
            bootstrap), so the cost stays bounded and the interval keeps the full batch's width.

    Returns:
        ``(low, high)``; NaN when fewer than half the resamples could be scored.

    Example:
        >>> values = np.r_[np.zeros(50), np.ones(50)]
        >>> low, high = bootstrap_interval(lambda rows: float(values[rows].mean()), 100)
        >>> 0.38 < low < 0.5 < high < 0.62
        True
    """
    rng = np.random.default_rng(seed)
    drawn = min(rows, max_rows)
    scores = []
    for _ in range(resamples):
        try:
            value = float(score(rng.integers(0, rows, size=drawn)))
        except ValueError:  # e.g. roc_auc on a resample holding one class
            continue
        if math.isfinite(value):
            scores.append(value)
    if len(scores) < resamples / 2:
        return math.nan, math.nan
    values = np.asarray(scores)
    if drawn < rows:
        centre = float(np.median(values))
        values = centre + (values - centre) * math.sqrt(drawn / rows)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def _with_classes(scorer: Any, classes: Any) -> Any:
    """``scorer`` scoring against the model's whole label set when its metric takes one (probability metrics).

    ``log_loss`` and multiclass ``roc_auc`` refuse a batch that lacks one of the model's classes unless
    told the labels; threshold metrics (``f1_macro``...) keep their own semantics (``labels`` would
    change what they average over). ``scorer`` may be a :class:`~gapgates.data.guard.GuardedScorer`.
    """
    import copy
    import inspect

    inner = getattr(scorer, "scorer", scorer)
    func = getattr(inner, "_score_func", None)
    method = getattr(inner, "_response_method", None)
    methods = {method} if isinstance(method, str) else set(method or ())
    kwargs = dict(getattr(inner, "_kwargs", {}) or {})
    if classes is None or func is None or not methods or "predict" in methods or "labels" in kwargs:
        return scorer
    if "labels" not in inspect.signature(func).parameters:
        return scorer
    if func.__name__ == "roc_auc_score" and len(classes) <= 2:
        return scorer  # binary roc_auc takes no label set; one class stays undefined (NaN)
    fixed = copy.copy(inner)
    fixed._kwargs = {**kwargs, "labels": list(classes)}
    if inner is scorer:
        return fixed
    wrapped = copy.copy(scorer)
    wrapped.scorer = fixed
    return wrapped


class _Replay:
    """A fitted model's outputs on the fresh rows, replayed for a subset of them.

    Scorers call it as a model whose input is a column of row positions: each output method runs the
    model once on all fresh rows, then answers any subset by indexing. ``classes_`` and the tags are
    the model's, so scikit-learn scorers treat it as the model itself.
    """

    _METHODS = ("predict", "predict_proba", "decision_function")

    def __init__(self, model: Any, X: pd.DataFrame) -> None:
        self._model, self._X = model, X
        self._outputs: dict[str, np.ndarray] = {}
        classes = getattr(model, "classes_", None)
        if classes is not None:
            self.classes_ = classes

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import get_tags

        return get_tags(self._model)

    def __getattr__(self, name: str) -> Any:
        if name not in self._METHODS or not hasattr(self._model, name):
            raise AttributeError(name)

        def replay(rows: Any) -> np.ndarray:
            if name not in self._outputs:
                self._outputs[name] = np.asarray(getattr(self._model, name)(self._X))
            return self._outputs[name][np.asarray(rows).ravel()]

        replay.__name__ = name  # scikit-learn tells the response method by its name
        return replay


def score_fresh(
    model: Any,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    metrics: list[str],
    promoted: dict[str, float | None],
    confidence: float = 0.95,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[ProductionScore, ...]:
    """Score a fitted model on fresh labelled rows, per metric, with an interval.

    Args:
        model: The fitted production model (behind :class:`gapgates.data.guard.GuardedModel`).
        X: Fresh features, in the training column order.
        y: Fresh labels.
        metrics: sklearn scoring names.
        promoted: The cross-validated test score recorded at promotion, per metric.
        confidence: Confidence level of the intervals.
        seed: Seed of the bootstrap.
        resamples: Bootstrap resamples.

    Returns:
        One :class:`ProductionScore` per metric, in order.

    Raises:
        ConfigError: If a metric is unknown or the model cannot serve it.
    """
    from gapgates.data.scoring import resolve_scoring

    classes = getattr(model, "classes_", None)
    scorers = {metric: _with_classes(scorer, classes) for metric, scorer in resolve_scoring(metrics, model).items()}
    replay = _Replay(model, X)
    labels = np.asarray(y)
    positions = np.arange(len(X)).reshape(-1, 1)
    out = []
    for metric, scorer in scorers.items():
        with warnings.catch_warnings():  # undefined on a batch or resample: NaN or skipped, said in the report
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            out.append(
                _score_one(
                    metric,
                    scorer,
                    replay,
                    positions,
                    labels,
                    promoted=promoted.get(metric),
                    confidence=confidence,
                    seed=seed,
                    resamples=resamples,
                )
            )
    return tuple(out)


def _score_one(
    metric: str,
    scorer: Any,
    replay: Any,
    positions: np.ndarray,
    labels: np.ndarray,
    *,
    promoted: float | None,
    confidence: float,
    seed: int,
    resamples: int,
) -> ProductionScore:
    """One metric's fresh score and interval; NaN (method ``undefined``) when the batch cannot be scored."""
    try:
        fresh = float(scorer(replay, positions, labels))
    except ValueError:  # undefined on this batch (e.g. one class only): NaN, so the check fails and says so
        return ProductionScore(metric=metric, fresh=math.nan, low=math.nan, high=math.nan, method="undefined", promoted=promoted)
    if not math.isfinite(fresh):
        return ProductionScore(metric=metric, fresh=math.nan, low=math.nan, high=math.nan, method="undefined", promoted=promoted)
    if metric == "accuracy":
        correct = round(fresh * len(labels))
        (low, high), method = wilson_interval(correct, len(labels), confidence=confidence), "wilson"
    else:

        def score(rows: np.ndarray) -> float:
            return float(scorer(replay, positions[rows], labels[rows]))

        (low, high), method = (
            bootstrap_interval(score, len(labels), confidence=confidence, seed=seed, resamples=resamples),
            "bootstrap",
        )
    return ProductionScore(metric=metric, fresh=fresh, low=low, high=high, method=method, promoted=promoted)
