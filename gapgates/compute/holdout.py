"""The untouched holdout: the final model, fit on every training row, scored once."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gapgates.data.scoring import resolve_scoring

__all__ = ["HoldoutResult", "fit_final", "score_holdout"]


@dataclass(frozen=True)
class HoldoutResult:
    """Scores of the final model on all training rows and on the holdout.

    Attributes:
        rows: Number of holdout rows.
        train: Score on the training rows per metric.
        test: Score on the holdout per metric.
    """

    rows: int
    train: dict[str, float]
    test: dict[str, float]

    @property
    def gap(self) -> dict[str, float]:
        """train − holdout per metric."""
        return {m: self.train[m] - self.test[m] for m in self.test}

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``holdout`` section."""

        def num(v: float) -> float | None:
            return float(v) if math.isfinite(v) else None

        return {m: {"train": num(self.train[m]), "test": num(self.test[m]), "gap": num(self.gap[m])} for m in self.test}


def fit_final(estimator: Any, X: pd.DataFrame, y: pd.Series) -> Any:
    """Fit a clone of the estimator on every training row; this is the model that may be promoted."""
    from sklearn.base import clone

    return clone(estimator).fit(X, y)


def score_holdout(
    model: Any, X_train: pd.DataFrame, y_train: pd.Series, X_hold: pd.DataFrame, y_hold: pd.Series, *, scoring: Sequence[str]
) -> HoldoutResult:
    """Score a fitted model on its training rows and on the holdout.

    Args:
        model: The fitted final model.
        X_train: Training features.
        y_train: Training target.
        X_hold: Holdout features (same columns).
        y_hold: Holdout target.
        scoring: sklearn scoring names.

    Returns:
        Train and holdout scores per metric.
    """
    scorers = resolve_scoring(scoring, model)
    return HoldoutResult(
        rows=len(X_hold),
        train={m: float(s(model, X_train, y_train)) for m, s in scorers.items()},
        test={m: float(s(model, X_hold, y_hold)) for m, s in scorers.items()},
    )
