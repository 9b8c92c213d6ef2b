"""The gap one fold at a time: the same numbers as :func:`gapgates.compute.crossval.gap`, fold by fold.

:func:`gapgates.compute.crossval.gap` fits every fold in one ``cross_validate`` call. An
orchestrator that wants each fold as its own unit of work (a Prefect task, a
Dask future) calls :func:`fit_fold` per fold and :func:`combine_folds` once;
both mirror what ``cross_validate`` does, so the result is identical.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.compute.crossval import CrossValidation, GapResult, out_of_fold, summarize_folds
from gapgates.data.scoring import resolve_scoring

__all__ = ["FoldFit", "combine_folds", "fit_fold"]


@dataclass(frozen=True, eq=False)
class FoldFit:
    """One fitted fold.

    Attributes:
        index: Position of the fold in the splits.
        train_rows: Row positions the model was fit on.
        test_rows: Row positions it was scored on.
        estimator: The fitted fold model.
        train: Train score per metric.
        test: Test score per metric.
        fit_seconds: Time spent fitting.
    """

    index: int
    train_rows: np.ndarray
    test_rows: np.ndarray
    estimator: Any
    train: dict[str, float]
    test: dict[str, float]
    fit_seconds: float


def fit_fold(
    estimator: Any,
    X: pd.DataFrame,
    y: pd.Series,
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    *,
    scoring: Sequence[str],
    index: int = 0,
) -> FoldFit:
    """Fit a clone of the estimator on one fold and score it on both sides.

    Args:
        estimator: Unfitted estimator (cloned, never fitted in place).
        X: Features; rows are addressed by position.
        y: Target.
        train_rows: Positions to fit on.
        test_rows: Positions to score out of fold.
        scoring: sklearn scoring names.
        index: Position of the fold in the splits (kept for ordering).

    Returns:
        The fitted fold and its scores.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> fold = fit_fold(DecisionTreeClassifier(random_state=0), X, y, np.arange(0, 150, 2),
        ...                 np.arange(1, 150, 2), scoring=["accuracy"])
        >>> fold.train["accuracy"]
        1.0
    """
    from sklearn.base import clone

    scorers = resolve_scoring(list(scoring), estimator)
    model = clone(estimator)
    start = time.perf_counter()
    model.fit(X.iloc[train_rows], y.iloc[train_rows])
    seconds = time.perf_counter() - start
    X_test, y_test = X.iloc[test_rows], y.iloc[test_rows]
    X_train, y_train = X.iloc[train_rows], y.iloc[train_rows]
    test = {name: float(scorer(model, X_test, y_test)) for name, scorer in scorers.items()}
    train = {name: float(scorer(model, X_train, y_train)) for name, scorer in scorers.items()}
    return FoldFit(
        index=index,
        train_rows=np.asarray(train_rows),
        test_rows=np.asarray(test_rows),
        estimator=model,
        train=train,
        test=test,
        fit_seconds=seconds,
    )


def combine_folds(
    folds: Sequence[FoldFit],
    X: pd.DataFrame,
    *,
    scoring: Sequence[str],
    classification: bool,
    confidence: float = 0.95,
) -> GapResult:
    """Summarise fitted folds into the :class:`GapResult` that :func:`gapgates.compute.crossval.gap` returns.

    Args:
        folds: Every fold of the splits, in any order.
        X: The features the folds were fit on (for out-of-fold predictions).
        scoring: Scoring names, primary first.
        classification: Whether the estimator is a classifier.
        confidence: Level of the gap interval.

    Returns:
        The per-metric gaps, fold models and out-of-fold predictions.
    """
    ordered = sorted(folds, key=lambda f: f.index)
    splits = [(f.train_rows, f.test_rows) for f in ordered]
    metrics = summarize_folds(
        splits,
        {m: [f.train[m] for f in ordered] for m in scoring},
        {m: [f.test[m] for f in ordered] for m in scoring},
        confidence=confidence,
    )
    estimators = tuple(f.estimator for f in ordered)
    classes, proba, pred, covered = out_of_fold(estimators, splits, X, len(X), classification)
    cv = CrossValidation(
        splits=splits,
        estimators=estimators,
        classes=classes,
        oof_proba=proba,
        oof_pred=pred,
        covered=covered,
        fit_seconds=float(sum(f.fit_seconds for f in ordered)),
    )
    return GapResult(metrics=metrics, classification=classification, n_folds=len(ordered), confidence=confidence, cv=cv)
