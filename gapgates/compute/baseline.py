"""A dummy model scored on the same folds, so a score has something to be compared with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.data.scoring import resolve_scoring
from gapgates.data.splits import Splits

__all__ = ["BaselineResult", "baseline"]


@dataclass(frozen=True)
class BaselineResult:
    """Scores of ``DummyClassifier(strategy="prior")`` or ``DummyRegressor(strategy="mean")``.

    Attributes:
        model: The dummy's class name and strategy.
        test_mean: Mean out-of-fold score per metric.
        train_mean: Mean train score per metric.
    """

    model: str
    test_mean: dict[str, float]
    train_mean: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``baseline`` section."""
        metrics = {m: {"train": self.train_mean[m], "test": self.test_mean[m]} for m in self.test_mean}
        return {"model": self.model, "metrics": metrics}


def baseline(X: pd.DataFrame, y: pd.Series, *, splits: Splits, scoring: Sequence[str], classification: bool) -> BaselineResult:
    """Score a dummy model on the given folds.

    Args:
        X: Features.
        y: Target.
        splits: The folds the candidate was scored on.
        scoring: sklearn scoring names.
        classification: Dummy classifier (class priors) or regressor (mean).

    Returns:
        The dummy's mean train and test scores per metric.
    """
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.model_selection import cross_validate

    dummy = DummyClassifier(strategy="prior") if classification else DummyRegressor(strategy="mean")
    scorers = resolve_scoring(scoring, dummy)
    raw = cross_validate(dummy, X, y, scoring=scorers, cv=splits, return_train_score=True, error_score="raise")
    return BaselineResult(
        model=f"{type(dummy).__name__}(strategy={dummy.strategy!r})",
        test_mean={m: float(np.mean(raw[f"test_{m}"])) for m in scoring},
        train_mean={m: float(np.mean(raw[f"train_{m}"])) for m in scoring},
    )
