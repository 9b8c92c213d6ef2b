"""The noise-adjusted gap: each fold's test score again, without the rows cleanlab flagged.

Scoring only: the fold models of the gap pass are reused, nothing is refit. The
train scores stay those of the pass, so the difference between the raw and the
adjusted gap is the part of the gap the flagged labels account for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.compute.crossval import GapResult, MetricGap, summarize_gap
from gapgates.data.guard import Replay, recorded
from gapgates.data.scoring import resolve_scoring

__all__ = ["NoiseAdjustedGap", "noise_adjusted_gap"]


@dataclass(frozen=True, eq=False)
class NoiseAdjustedGap:
    """Per-metric gaps with the flagged rows left out of every test fold.

    Attributes:
        metrics: ``{scoring name: MetricGap}`` (train scores as in the pass, test scores without flagged rows).
        removed: Number of flagged rows left out.
        memorised: Share of flagged rows, in folds that trained on them, that the fold model
            predicts with their given label (1.0: the model memorises the doubtful labels;
            low: it disagrees with them). None for regression or when nothing was flagged.
    """

    metrics: dict[str, MetricGap]
    removed: int
    memorised: float | None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``noise_adjusted`` section."""
        return {
            "removed": self.removed,
            "memorised": None if self.memorised is None else round(self.memorised, 6),
            "metrics": {m: g.to_dict() for m, g in self.metrics.items()},
        }


def _score(scorer: Any, estimator: Any, X: pd.DataFrame, y: pd.Series) -> float:
    try:
        return float(scorer(estimator, X, y))
    except ValueError:  # e.g. roc_auc on a fold left with one class
        return math.nan


def noise_adjusted_gap(
    result: GapResult, X: pd.DataFrame, y: pd.Series, flagged: Sequence[int] | np.ndarray, *, scoring: Sequence[str]
) -> NoiseAdjustedGap:
    """Rescore every fold's test rows without the flagged rows, with the already fitted fold models.

    Args:
        result: The gap pass (its fold models and splits are reused).
        X: The features the pass was run on.
        y: The target the pass was run on.
        flagged: Positions (into ``X``) of the rows to leave out, e.g. ``NoiseResult.positions``.
        scoring: sklearn scoring names, as in the pass.

    Returns:
        The adjusted per-metric gaps and how strongly the models fit the flagged labels.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from gapgates.compute.crossval import gap
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> g = gap(LogisticRegression(max_iter=500), X, y)
        >>> noise_adjusted_gap(g, X, y, [], scoring=["accuracy"]).removed
        0
    """
    cv = result.cv
    bad = np.zeros(len(X), dtype=bool)
    bad[np.asarray(flagged, dtype=int)] = True
    scorers = resolve_scoring(list(scoring), cv.estimators[0])
    tests: dict[str, list[float]] = {m: [] for m in scorers}
    sizes, hits, seen = [], 0, 0
    for est, (train, test) in zip(cv.estimators, cv.splits, strict=True):
        kept = ~bad[test]
        keep = test[kept]
        sizes.append(keep.size)
        # the fold model's recorded test outputs, cut to the kept rows: the same scores, no new predictions
        model = Replay(est, np.flatnonzero(kept)) if recorded(est, "test", "predict") is not None else est
        for name, scorer in scorers.items():
            tests[name].append(_score(scorer, model, X.iloc[keep], y.iloc[keep]) if keep.size else math.nan)
        on_bad = bad[train]
        fitted_on = train[on_bad]
        if result.classification and fitted_on.size:
            known = recorded(est, "training", "predict")
            pred = known[on_bad] if known is not None else est.predict(X.iloc[fitted_on])
            hits += int(np.sum(np.asarray(pred) == y.to_numpy()[fitted_on]))
            seen += fitted_on.size
    n_train = float(np.mean([len(tr) for tr, _ in cv.splits]))
    n_test = float(np.mean(sizes)) if sizes else 0.0
    metrics = {
        name: summarize_gap(
            name, result.metrics[name].train, tests[name], n_train=n_train, n_test=max(n_test, 1.0), confidence=result.confidence
        )
        for name in scorers
    }
    return NoiseAdjustedGap(metrics=metrics, removed=int(bad.sum()), memorised=hits / seen if seen else None)
