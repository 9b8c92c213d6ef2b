"""The generalization gap: one cross-validation pass, per-fold train and test scores.

:func:`gap` runs ``sklearn.model_selection.cross_validate`` exactly once with
``return_train_score``, ``return_estimator`` and ``return_indices``. From the
fitted fold models it also keeps the out-of-fold predictions (probabilities
for classifiers that have them), so label-noise detection needs no extra fit.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.compute.intervals import corrected_interval
from gapgates.data.guard import fits_shape
from gapgates.data.scoring import default_metrics, resolve_scoring
from gapgates.data.splits import Splits, make_splits

__all__ = ["CrossValidation", "GapResult", "MetricGap", "gap", "summarize_gap"]

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class MetricGap:
    """The gap of one metric across folds.

    Attributes:
        metric: sklearn scoring name.
        train: Train score of each fold.
        test: Test (out-of-fold) score of each fold.
        train_mean: Mean train score.
        test_mean: Mean test score.
        gap_mean: Mean of train − test.
        gap_ci_low: Lower bound of the Nadeau–Bengio interval on the mean gap.
        gap_ci_high: Upper bound of that interval.
        relative_gap: ``gap_mean / |train_mean|`` (None when the train mean is 0).
    """

    metric: str
    train: tuple[float, ...]
    test: tuple[float, ...]
    train_mean: float
    test_mean: float
    gap_mean: float
    gap_ci_low: float
    gap_ci_high: float
    relative_gap: float | None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` form."""
        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {
            "train_mean": num(self.train_mean),
            "test_mean": num(self.test_mean),
            "gap_mean": num(self.gap_mean),
            "gap_ci_low": num(self.gap_ci_low),
            "gap_ci_high": num(self.gap_ci_high),
            "relative_gap": num(self.relative_gap),
            "folds": [{"train": num(a), "test": num(b)} for a, b in zip(self.train, self.test)],
        }


def summarize_gap(
    metric: str,
    train: Sequence[float],
    test: Sequence[float],
    *,
    n_train: float,
    n_test: float,
    confidence: float = 0.95,
) -> MetricGap:
    """Summarise per-fold scores of one metric into a :class:`MetricGap`.

    Args:
        metric: Scoring name.
        train: Per-fold train scores.
        test: Per-fold test scores.
        n_train: Average training rows per fold.
        n_test: Average test rows per fold.
        confidence: Interval level.

    Returns:
        The summary with a Nadeau–Bengio corrected interval on the mean gap.
    """
    tr, te = np.asarray(train, dtype=float), np.asarray(test, dtype=float)
    diffs = tr - te
    low, high = corrected_interval(diffs, n_train=n_train, n_test=n_test, confidence=confidence)
    train_mean = float(tr.mean())
    gap_mean = float(diffs.mean())
    return MetricGap(
        metric=metric,
        train=tuple(map(float, tr)),
        test=tuple(map(float, te)),
        train_mean=train_mean,
        test_mean=float(te.mean()),
        gap_mean=gap_mean,
        gap_ci_low=low,
        gap_ci_high=high,
        relative_gap=gap_mean / abs(train_mean) if train_mean != 0 else None,
    )


@dataclass(frozen=True, eq=False)
class CrossValidation:
    """What the one cross-validation pass leaves behind for later steps.

    Attributes:
        splits: The ``(train_rows, test_rows)`` of every fold.
        estimators: The fitted model of every fold.
        classes: Class labels, in the column order of ``oof_proba`` (classification).
        oof_proba: Out-of-fold probabilities, averaged over repeats; None when the
            model has no ``predict_proba`` or for regression. Rows never tested are NaN.
        oof_pred: Out-of-fold predictions (labels or values); NaN/None where not tested.
        covered: Which rows were in some test fold (all of them, except with TimeSeriesSplit).
        fit_seconds: Total fit time over folds.
    """

    splits: Splits
    estimators: tuple[Any, ...]
    classes: np.ndarray | None
    oof_proba: np.ndarray | None
    oof_pred: np.ndarray
    covered: np.ndarray
    fit_seconds: float


@dataclass(frozen=True, eq=False)
class GapResult:
    """Per-metric gaps of one cross-validation pass.

    Attributes:
        metrics: ``{scoring name: MetricGap}``; the first entry is the primary metric.
        classification: Whether the estimator is a classifier.
        n_folds: Number of fitted folds (``k × repeats``).
        confidence: Level of the intervals.
        cv: Fold models, splits and out-of-fold predictions.
    """

    metrics: dict[str, MetricGap]
    classification: bool
    n_folds: int
    confidence: float
    cv: CrossValidation

    @property
    def primary(self) -> MetricGap:
        """The first metric's gap."""
        return next(iter(self.metrics.values()))

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``gap`` section."""
        return {name: m.to_dict() for name, m in self.metrics.items()}


class _ProgressScorer:
    """A multimetric scorer that reports finished folds (in-process runs only)."""

    def __init__(self, scorers: dict[str, Any], total: int, callback: ProgressCallback) -> None:
        self._inner: Any = None  # built in the process that scores
        self._scorers = scorers
        self._total = total
        self._callback: ProgressCallback | None = callback
        self._calls = 0

    def __call__(self, estimator: Any, X: Any, y: Any) -> dict[str, float]:
        from sklearn.metrics._scorer import _MultimetricScorer

        if self._inner is None:
            self._inner = _MultimetricScorer(scorers=self._scorers)
        scores = self._inner(estimator, X, y)
        self._calls += 1
        if self._callback is not None and self._calls % 2 == 0:  # test then train score per fold
            self._callback(self._calls // 2, self._total)
        return scores

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_callback"] = None
        return state


@contextlib.contextmanager
def _thread_limits(n_jobs: int | None) -> Iterator[int]:
    """Cap native threads per worker so ``n_jobs`` workers do not oversubscribe the cores."""
    import joblib
    from joblib.parallel import get_active_backend
    from threadpoolctl import threadpool_limits

    workers = joblib.effective_n_jobs(n_jobs)
    if workers <= 1:
        yield 1
        return
    inner = max(1, joblib.cpu_count() // workers)
    backend, _ = get_active_backend()
    with contextlib.ExitStack() as stack:
        stack.enter_context(threadpool_limits(limits=inner))
        if type(backend).__name__ == "LokyBackend":
            stack.enter_context(joblib.parallel_config(backend="loky", inner_max_num_threads=inner))
        yield workers


def out_of_fold(
    estimators: Sequence[Any], splits: Splits, X: pd.DataFrame, n_rows: int, classification: bool
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray, np.ndarray]:
    covered = np.zeros(n_rows, dtype=bool)
    for _, test in splits:
        covered[test] = True
    has_proba = classification and all(hasattr(e, "predict_proba") for e in estimators)
    if not has_proba:
        pred = np.full(n_rows, np.nan, dtype=object if classification else float)
        for est, (_, test) in zip(estimators, splits):
            out = est.predict(X.iloc[test])
            if fits_shape("predict", out, len(test)):  # an invalid output is recorded by the guard; never stored
                pred[test] = np.asarray(out).reshape(len(test))  # last repeat wins for labels
        return None, None, pred, covered
    classes = np.unique(np.concatenate([np.asarray(e.classes_) for e in estimators]))
    sums = np.zeros((n_rows, classes.size))
    counts = np.zeros(n_rows)
    for est, (_, test) in zip(estimators, splits):
        cols = np.searchsorted(classes, np.asarray(est.classes_))
        out = est.predict_proba(X.iloc[test])
        if not fits_shape("predict_proba", out, len(test), cols.size):
            sums[test] = np.nan  # no probabilities for these rows: label noise refuses them
            counts[test] += 1
            continue
        sums[np.ix_(test, cols)] += np.asarray(out, dtype=float)
        counts[test] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        proba = sums / counts[:, None]
    proba[~covered] = np.nan
    pred = np.empty(n_rows, dtype=classes.dtype if classes.dtype.kind != "U" else object)
    pred[covered] = classes[np.argmax(proba[covered], axis=1)]
    return classes, proba, pred, covered


def gap(
    estimator: Any,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    scoring: Sequence[str] | None = None,
    splits: Splits | None = None,
    groups: pd.Series | None = None,
    n_splits: int = 5,
    n_repeats: int = 1,
    seed: int = 0,
    confidence: float = 0.95,
    n_jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> GapResult:
    """Measure train − test per metric and fold in one cross-validation pass.

    Args:
        estimator: Any scikit-learn estimator or Pipeline (cloned, never fitted in place).
        X: Features; rows are identified by position.
        y: Target.
        scoring: sklearn scoring names; the first is primary. Default ``accuracy``
            for classifiers, ``r2`` for regressors.
        splits: Precomputed folds (see :func:`gapgates.splits.make_splits`); when None
            they are made from ``n_splits``, ``n_repeats``, ``seed`` and ``groups``.
        groups: Group labels for ``GroupKFold``.
        n_splits: Folds per repeat.
        n_repeats: Repeats of k-fold.
        seed: Seed of the fold shuffling.
        confidence: Level of the gap interval.
        n_jobs: Folds fitted in parallel (joblib); native threads are capped per worker.
        progress: Called with ``(folds_done, folds_total)`` as folds finish (in-process only).

    Returns:
        The per-metric gaps and the pass's fold models and out-of-fold predictions.

    Raises:
        ConfigError: On an unknown metric or one the estimator cannot serve.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> result = gap(DecisionTreeClassifier(random_state=0), X, y)
        >>> result.primary.train_mean
        1.0
    """
    from sklearn.base import is_classifier
    from sklearn.model_selection import cross_validate

    classification = is_classifier(estimator)
    names = list(scoring) if scoring else default_metrics(classification=classification)
    scorers = resolve_scoring(names, estimator)
    if splits is None:
        splits = make_splits(
            X, y, classification=classification, n_splits=n_splits, n_repeats=n_repeats, seed=seed, groups=groups
        )
    scoring_arg: Any = scorers
    with _thread_limits(n_jobs) as workers:
        if progress is not None and workers <= 1:
            scoring_arg = _ProgressScorer(scorers, len(splits), progress)
        raw = cross_validate(
            estimator,
            X,
            y,
            scoring=scoring_arg,
            cv=splits,
            n_jobs=n_jobs,
            return_train_score=True,
            return_estimator=True,
            return_indices=True,
            error_score="raise",
        )
    if progress is not None and workers > 1:
        progress(len(splits), len(splits))
    folds = list(zip(raw["indices"]["train"], raw["indices"]["test"]))
    n_train = float(np.mean([len(tr) for tr, _ in folds]))
    n_test = float(np.mean([len(te) for _, te in folds]))
    metrics = {
        name: summarize_gap(
            name, raw[f"train_{name}"], raw[f"test_{name}"], n_train=n_train, n_test=n_test, confidence=confidence
        )
        for name in names
    }
    estimators = tuple(raw["estimator"])
    classes, proba, pred, covered = out_of_fold(estimators, folds, X, len(X), classification)
    cv = CrossValidation(
        splits=folds,
        estimators=estimators,
        classes=classes,
        oof_proba=proba,
        oof_pred=pred,
        covered=covered,
        fit_seconds=float(np.sum(raw["fit_time"])),
    )
    return GapResult(metrics=metrics, classification=classification, n_folds=len(folds), confidence=confidence, cv=cv)
