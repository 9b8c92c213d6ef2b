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

The interval of the gap is the score interval mirrored: ``[promoted − high, promoted − low]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["BOOTSTRAP_RESAMPLES", "ProductionScore", "bootstrap_interval", "score_fresh", "wilson_interval"]

#: Resamples of the percentile bootstrap.
BOOTSTRAP_RESAMPLES = 1000


@dataclass(frozen=True)
class ProductionScore:
    """One metric of the production model on fresh rows, against its score at promotion.

    Attributes:
        metric: sklearn scoring name.
        fresh: Score on the fresh rows.
        low: Lower bound of the fresh score's interval.
        high: Upper bound of the fresh score's interval.
        method: ``wilson`` or ``bootstrap``.
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
        return {"promoted_test": _num(self.promoted), "fresh": _num(self.fresh), "fresh_ci_low": _num(self.low),
                "fresh_ci_high": _num(self.high), "interval": self.method, "gap_mean": _num(self.gap),
                "gap_ci_low": _num(low), "gap_ci_high": _num(high)}


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


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


def bootstrap_interval(score: Any, rows: int, *, confidence: float = 0.95, seed: int = 0,
                       resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float]:
    """Percentile bootstrap interval of ``score(row positions)`` over rows drawn with replacement.

    Args:
        score: ``(positions: np.ndarray) -> float``; may raise ``ValueError`` on a resample it is
            undefined on (that resample is skipped).
        rows: Rows to resample.
        confidence: Confidence level in (0, 1).
        seed: Seed of the resampling.
        resamples: Number of resamples.

    Returns:
        ``(low, high)``; NaN when fewer than half the resamples could be scored.

    Example:
        >>> values = np.r_[np.zeros(50), np.ones(50)]
        >>> low, high = bootstrap_interval(lambda rows: float(values[rows].mean()), 100)
        >>> 0.38 < low < 0.5 < high < 0.62
        True
    """
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(resamples):
        try:
            value = float(score(rng.integers(0, rows, size=rows)))
        except ValueError:  # e.g. roc_auc on a resample holding one class
            continue
        if math.isfinite(value):
            scores.append(value)
    if len(scores) < resamples / 2:
        return math.nan, math.nan
    alpha = (1 - confidence) / 2
    low, high = np.quantile(scores, [alpha, 1 - alpha])
    return float(low), float(high)


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
    model: Any, X: pd.DataFrame, y: pd.Series, *, metrics: list[str], promoted: dict[str, float | None],
    confidence: float = 0.95, seed: int = 0, resamples: int = BOOTSTRAP_RESAMPLES,
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

    scorers = resolve_scoring(metrics, model)
    replay = _Replay(model, X)
    labels = np.asarray(y)
    positions = np.arange(len(X)).reshape(-1, 1)
    out = []
    for metric, scorer in scorers.items():
        fresh = float(scorer(replay, positions, labels))
        if metric == "accuracy":
            correct = round(fresh * len(labels))
            (low, high), method = wilson_interval(correct, len(labels), confidence=confidence), "wilson"
        else:
            def score(rows: np.ndarray, scorer: Any = scorer) -> float:
                return float(scorer(replay, positions[rows], labels[rows]))

            (low, high), method = bootstrap_interval(score, len(labels), confidence=confidence, seed=seed,
                                                     resamples=resamples), "bootstrap"
        out.append(ProductionScore(metric=metric, fresh=fresh, low=low, high=high, method=method,
                                   promoted=promoted.get(metric)))
    return tuple(out)
