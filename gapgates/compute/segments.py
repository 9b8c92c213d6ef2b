"""Weak segments: where the model fails, from the out-of-fold predictions of the one gap pass.

:func:`weak_segments` scores the out-of-fold predictions that :func:`gapgates.compute.crossval.gap`
kept (``GapResult.cv``) on each of the :data:`MAX_VALUES` most frequent values of each categorical
column, on every quantile bin of each numeric column (the first :data:`MAX_COLUMNS` columns; one
``np.bincount`` pass per column), and on the leaves of a shallow decision tree fit on the per-row out-of-fold error
(pairs of conditions the one-column slices miss). It fits no model of the gate again: the tree is
a cheap search over the per-row errors, not a model of the target.

The score of a segment is its out-of-fold **accuracy** (classification, with a Wilson interval) or
its **negative mean absolute error** (regression, with a normal interval): both higher-is-better,
so one ``min_test_score`` floor reads the same way. The segment's **gap** is its train score minus
its test score, where the train score of a row is the mean correctness (or negative absolute
error) of the fold models of the first repeat that were *trained* on that row, predicting it
(one ``predict`` per fold on its training rows, at most :data:`MAX_TRAIN_ROWS` of them, sampled
with the run's seed). Segments are listed worst first: by the upper bound of their score's
interval, so a large segment that is surely weak comes before a small one that is weak by chance.
A pair from the tree is kept only when the upper bound of its interval is below the score of each of
its two conditions alone: the tree picks its leaves after seeing the errors, so a pair must add
something beyond its parts to be reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.compute.crossval import CrossValidation
from gapgates.data.guard import recorded

__all__ = ["MAX_TRAIN_ROWS", "Segment", "SegmentResult", "weak_segments", "wilson_interval"]

#: Most training rows per fold the fold models predict to score a row's train score.
MAX_TRAIN_ROWS = 20_000
#: Most values of one categorical column scored (the rarest are left out), and most segments reported.
MAX_VALUES, MAX_REPORTED = 20, 25
#: A numeric column with at most this many distinct values is sliced per value, not per quantile bin.
FEW_VALUES = 10
#: Most columns sliced one by one, and most encoded columns the tree search reads (table order).
MAX_COLUMNS, MAX_TREE_FEATURES = 200, 256


@dataclass(frozen=True)
class Segment:
    """One slice of the training rows and how the model did on it.

    Attributes:
        kind: ``value`` (one value of a categorical column), ``bin`` (a quantile bin of a numeric
            column) or ``tree`` (a leaf of the search over pairs of conditions).
        columns: The columns the slice is defined on.
        description: The slice in words (``"colour = red"``, ``"x ≤ 0.5 and colour ≠ red"``).
        rows: Rows in the slice (with an out-of-fold prediction).
        test: Out-of-fold score of the slice.
        low: Lower bound of the score's interval.
        high: Upper bound of the score's interval.
        train: Train score of the slice (see the module docstring), or None.
        gap: ``train − test``, or None.
    """

    kind: str
    columns: tuple[str, ...]
    description: str
    rows: int
    test: float
    low: float
    high: float
    train: float | None
    gap: float | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(float(v), 6)

        return {
            "kind": self.kind,
            "columns": list(self.columns),
            "description": self.description,
            "rows": self.rows,
            "test": num(self.test),
            "low": num(self.low),
            "high": num(self.high),
            "train": num(self.train),
            "gap": num(self.gap),
        }


@dataclass(frozen=True)
class SegmentResult:
    """The weak segments of one run.

    Attributes:
        metric: ``accuracy`` or ``neg_mean_absolute_error``: the per-row score segments are judged on.
        interval: ``wilson`` or ``normal``.
        confidence: Level of the intervals.
        min_rows: Slices with fewer rows were left out.
        overall: The score over every row with an out-of-fold prediction.
        judged: How many slices had at least ``min_rows`` rows.
        segments: The worst slices, worst first (at most :data:`MAX_REPORTED`).
        train_rows_scored: Training rows per fold the fold models predicted for the train scores.
        largest_gap: The judged slice with the largest train − test gap (None: no train scores).
    """

    metric: str
    interval: str
    confidence: float
    min_rows: int
    overall: float
    judged: int
    segments: tuple[Segment, ...]
    train_rows_scored: int
    largest_gap: Segment | None = None

    @property
    def worst(self) -> Segment | None:
        """The worst segment, or None when no slice had ``min_rows`` rows."""
        return self.segments[0] if self.segments else None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` form."""
        return {
            "metric": self.metric,
            "interval": self.interval,
            "confidence": self.confidence,
            "min_rows": self.min_rows,
            "overall": round(self.overall, 6),
            "judged": self.judged,
            "train_rows_scored": self.train_rows_scored,
            "segments": [s.to_dict() for s in self.segments],
            "largest_gap": None if self.largest_gap is None else self.largest_gap.to_dict(),
        }


def wilson_interval(successes: np.ndarray, n: np.ndarray, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of binomial proportions (vectorised).

    Example:
        >>> low, high = wilson_interval(np.array([45]), np.array([50]))
        >>> round(float(low[0]), 3), round(float(high[0]), 3)
        (0.786, 0.957)
    """
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    n = np.asarray(n, dtype=float)
    p = np.asarray(successes, dtype=float) / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _row_scores(y: np.ndarray, pred: np.ndarray, classification: bool) -> np.ndarray:
    if classification:
        return (pred == y).astype(float)
    return -np.abs(y.astype(float) - pred.astype(float))


def _train_scores(
    cv: CrossValidation, X: pd.DataFrame, y: np.ndarray, *, classification: bool, seed: int
) -> tuple[np.ndarray, int]:
    """Each row's mean score under the fold models of the first repeat that were trained on it (NaN: none)."""
    n = len(X)
    sums, counts = np.zeros(n), np.zeros(n)
    covered = np.zeros(n, dtype=bool)
    rng = np.random.default_rng(seed)
    scored = 0
    for (train, test), model in zip(cv.splits, cv.estimators):
        if covered[test].all():  # a later repeat: every test row of this fold was tested already
            break
        covered[test] = True
        rows = np.asarray(train)
        if len(rows) > MAX_TRAIN_ROWS:
            rows = np.sort(rng.choice(rows, MAX_TRAIN_ROWS, replace=False))
        pred = _train_predictions(model, X, np.asarray(train), rows)
        sums[rows] += _row_scores(y[rows], pred, classification)
        counts[rows] += 1
        scored = max(scored, len(rows))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan), scored


def _train_predictions(model: Any, X: pd.DataFrame, train: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A fold model's predictions of some of its training rows: cut from those the pass recorded when it scored the
    training side (:func:`gapgates.data.guard.recorded`), else predicted."""
    known = recorded(model, "training", "predict")
    if known is None or len(known) != len(train):
        return np.asarray(model.predict(X.iloc[rows]))
    at = np.empty(len(X), dtype=np.int64)
    at[train] = np.arange(len(train))
    return known[at[rows]]


def _groupings(X: pd.DataFrame, *, bins: int) -> list[tuple[str, str, list[str], np.ndarray]]:
    """``(kind, column, description per code, code per row; -1: in no slice)`` of every one-column slicing.

    At most :data:`MAX_COLUMNS` columns are sliced (in table order): a row's codes cost O(rows) per column.
    """
    out: list[tuple[str, str, list[str], np.ndarray]] = []
    for column in list(X.columns)[:MAX_COLUMNS]:
        values = X[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.nunique(dropna=True) > FEW_VALUES:
            edges = np.unique(np.nanquantile(values.to_numpy(dtype=float), np.linspace(0, 1, bins + 1)))
            if len(edges) < 2:
                continue
            cut = pd.cut(values, edges, include_lowest=True, duplicates="drop")
            names = [f"{column} in [{i.left:.4g}, {i.right:.4g}]" for i in cut.cat.categories]
            out.append(("bin", str(column), names, cut.cat.codes.to_numpy()))  # int8: a byte per row
            continue
        frequent = list(values.value_counts(dropna=True).index[:MAX_VALUES])
        codes = pd.Categorical(values, categories=frequent).codes
        out.append(("value", str(column), [f"{column} = {v}" for v in frequent], codes))
    return out


def _encoded(X: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, str, Any]]]:
    """A numeric matrix for the tree search: numeric columns as they are (NaN → median), one 0/1 column per
    frequent value of the others; with ``(column, kind, value)`` of each matrix column."""
    parts: list[np.ndarray] = []
    names: list[tuple[str, str, Any]] = []
    for column in X.columns:
        if len(parts) >= MAX_TREE_FEATURES:
            break
        values = X[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = values.to_numpy(dtype=float)
            parts.append(
                np.where(np.isnan(numbers), np.nanmedian(numbers) if np.isfinite(numbers).any() else 0.0, numbers).astype(
                    np.float32
                )
            )  # what the tree fits on (scikit-learn's trees are float32)
            names.append((str(column), "num", None))
        else:
            for value in values.value_counts(dropna=True).index[:MAX_VALUES]:
                parts.append((values == value).to_numpy(dtype=np.float32))
                names.append((str(column), "cat", value))
    parts, names = parts[:MAX_TREE_FEATURES], names[:MAX_TREE_FEATURES]
    return (np.column_stack(parts) if parts else np.zeros((len(X), 0), dtype=np.float32)), names


def _tree_slices(
    X: pd.DataFrame, error: np.ndarray, *, min_rows: int, seed: int
) -> list[tuple[str, tuple[str, ...], str, np.ndarray, tuple[np.ndarray, ...]]]:
    """The leaves of a depth-2 regression tree on the per-row error, as slices of two conditions, each with
    the row masks of its conditions alone."""
    from sklearn.tree import DecisionTreeRegressor

    matrix, names = _encoded(X)
    if matrix.shape[1] == 0 or len(error) < 2 * min_rows:
        return []
    tree = DecisionTreeRegressor(max_depth=2, min_samples_leaf=min_rows, random_state=seed).fit(matrix, error)
    t = tree.tree_
    leaf_of = tree.apply(matrix)
    out = []

    def walk(node: int, conditions: tuple[str, ...], columns: tuple[str, ...], alone: tuple[np.ndarray, ...]) -> None:
        if t.children_left[node] == -1:
            if len(conditions) == 2:  # the one-column slices already cover single conditions
                out.append(("tree", columns, " and ".join(conditions), leaf_of == node, alone))
            return
        column, kind, value = names[t.feature[node]]
        threshold = t.threshold[node]
        left, right = (
            (f"{column} ≠ {value}", f"{column} = {value}")
            if kind == "cat"
            else (f"{column} ≤ {threshold:.4g}", f"{column} > {threshold:.4g}")
        )
        goes_left = matrix[:, t.feature[node]] <= threshold
        cols = columns if column in columns else (*columns, column)
        walk(t.children_left[node], (*conditions, left), cols, (*alone, goes_left))
        walk(t.children_right[node], (*conditions, right), cols, (*alone, ~goes_left))

    walk(0, (), (), ())
    return out


def weak_segments(
    cv: CrossValidation,
    X: pd.DataFrame,
    y: Sequence[Any] | pd.Series,
    *,
    classification: bool,
    min_rows: int = 30,
    bins: int = 4,
    confidence: float = 0.95,
    seed: int = 0,
) -> SegmentResult:
    """Score the out-of-fold predictions on slices of the training rows, worst first.

    Args:
        cv: The cross-validation pass (its out-of-fold predictions and fold models).
        X: The training features, in the order the folds index.
        y: The training target.
        classification: Score accuracy (True) or negative mean absolute error (False).
        min_rows: Slices with fewer rows are left out.
        bins: Quantile bins per numeric column.
        confidence: Level of the intervals.
        seed: Seed of the train-row sample and of the tree search.

    Returns:
        The segments, worst first (by the upper bound of their interval).

    Example:
        >>> result = weak_segments(gap_result.cv, X, y, classification=True)  # doctest: +SKIP
        >>> result.worst.description  # doctest: +SKIP
        'colour = red'
    """
    from scipy.stats import norm

    X = X.reset_index(drop=True)
    target = np.asarray(y)
    covered = np.asarray(cv.covered, dtype=bool)
    test_score = np.full(len(X), np.nan)
    test_score[covered] = _row_scores(target[covered], np.asarray(cv.oof_pred)[covered], classification)
    train_score, scored = _train_scores(cv, X, target, classification=classification, seed=seed)
    Xc = X[covered].reset_index(drop=True)
    tests, trains = test_score[covered], train_score[covered]
    error = (1 - tests) if classification else -tests
    has_train = ~np.isnan(trains)
    train_values = np.where(has_train, trains, 0.0)
    index = np.arange(len(tests), dtype=float)
    columns_of: list[tuple[str, tuple[str, ...], str, tuple[float, ...]]] = []
    stats: list[np.ndarray] = []  # per slice: rows, sum, sum of squares, train rows, train sum, index sums

    weights = (np.ones(len(tests)), tests, tests**2, has_train.astype(float), train_values, index, index**2)

    def add(
        kind: str,
        cols: tuple[str, ...],
        names: Sequence[str],
        codes: np.ndarray,
        alone: Sequence[tuple[float, ...]] | None = None,
    ) -> None:
        k = len(names)
        bucket = np.where(codes >= 0, codes, k)  # rows in no slice go to an extra bucket, dropped below
        sums = [np.bincount(bucket, weights=w, minlength=k + 1)[:k] for w in weights]
        for j, name in enumerate(names):
            columns_of.append((kind, cols, name, () if alone is None else alone[j]))
            stats.append(np.array([v[j] for v in sums]))

    for kind, column, names, codes in _groupings(Xc, bins=bins):
        add(kind, (column,), names, codes)
    for kind, cols, name, mask, alone in _tree_slices(Xc, error, min_rows=min_rows, seed=seed):
        add(kind, cols, [name], np.where(mask, 0, -1), [tuple(float(tests[m].mean()) if m.any() else math.nan for m in alone)])
    table = np.array(stats).reshape(len(stats), 7)
    keep = table[:, 0] >= max(1, min_rows)
    table, kept = table[keep], [c for c, k in zip(columns_of, keep) if k]
    n, sums = table[:, 0], table[:, 1]
    means = sums / np.maximum(n, 1)
    if classification:
        low, high = wilson_interval(sums, n, confidence=confidence)
    else:
        sd = np.sqrt(np.maximum(table[:, 2] / np.maximum(n, 1) - means**2, 0) * n / np.maximum(n - 1, 1))
        half = float(norm.ppf(0.5 + confidence / 2)) * sd / np.sqrt(np.maximum(n, 1))
        low, high = means - half, means + half
    train_n = table[:, 3]
    train_means = table[:, 4] / np.maximum(train_n, 1)
    segments, seen = [], set()
    for i in np.lexsort((-n, means, high)):  # by the upper bound, then the estimate, then the larger slice
        key = (n[i], table[i, 5], table[i, 6])  # the same rows (a tree leaf equal to a one-column slice)
        if key in seen:
            continue
        seen.add(key)
        kind, columns, description, alone_scores = kept[i]
        if any(high[i] >= alone for alone in alone_scores):  # a pair no worse than one of its conditions alone
            continue
        train = float(train_means[i]) if train_n[i] else None
        segments.append(
            Segment(
                kind,
                columns,
                description,
                int(n[i]),
                float(means[i]),
                float(low[i]),
                float(high[i]),
                train,
                None if train is None else train - float(means[i]),
            )
        )
    gaps = [s for s in segments if s.gap is not None]
    return SegmentResult(
        metric="accuracy" if classification else "neg_mean_absolute_error",
        interval="wilson" if classification else "normal",
        confidence=confidence,
        min_rows=min_rows,
        overall=float(np.mean(tests)) if len(tests) else math.nan,
        judged=len(segments),
        segments=tuple(segments[:MAX_REPORTED]),
        train_rows_scored=scored,
        largest_gap=max(gaps, key=lambda s: s.gap or 0.0) if gaps else None,
    )
