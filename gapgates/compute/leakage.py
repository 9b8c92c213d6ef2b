"""Leakage: holdout rows that copy training rows, columns that give the target away, rows repeated across folds.

:func:`find_leakage` fits no model. Exact duplicates are found by hashing feature rows (all rows); near duplicates
by a nearest-neighbour query of at most ``max_near_rows`` sampled holdout rows against the training rows
(standardised numeric columns), with cleanlab Datalab's rule: closer than 0.13 × the median nearest-neighbour
distance among as many sampled training rows; the same query gives the training rows' own rate of copies, which a
random holdout of the same table reaches too. A leaking column is one that, binned on its own, explains almost all
of the target: the uncertainty coefficient (classification) or correlation ratio η² (regression, or the squared
rank correlation when larger); a copy of the target is a column holding the label's values that agrees with it
(Cohen's κ) or a numeric column correlated with a numeric target.

:func:`target_proxies` and :func:`repeated_rows` refit on the folds of the cross-validation pass: the suspect
columns alone and the model without them; the model with every cluster of copied rows (:func:`copy_clusters`)
kept in one fold.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gapgates.data.columns import bin_column, eta_squared, uncertainty_coefficient

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.data.splits import Splits

__all__ = ["LeakageResult", "RepeatedRows", "copy_clusters", "find_leakage", "first_repeat", "repeated_rows"]

NEAR_FACTOR = 0.13  # cleanlab Datalab's near_duplicate threshold factor


@dataclass(frozen=True)
class LeakageResult:
    """Duplicated holdout rows and target-leaking columns.

    Attributes:
        holdout_rows: Holdout size (0 when there is no holdout).
        exact_duplicates: Holdout rows identical to a training row (features only).
        near_duplicates: Checked holdout rows that are exact or near copies of a training row.
        near_checked: Holdout rows checked for near copies (all, or a sample of ``max_near_rows``).
        duplicate_rate: The larger of ``exact_duplicates / holdout_rows`` and
            ``near_duplicates / near_checked``; None without a holdout.
        duplicate_rows: Row ids (the holdout's index) of the copied rows, first 100.
        feature_scores: ``(column, score)`` best first: how much of the target one column explains (0–1): the
            uncertainty coefficient of the binned column (classification; for a column holding the label's own
            values, Cohen's κ of column and label when larger), or the larger of η² and the squared rank
            correlation (regression).
        seconds: Wall time of the check.
        train_duplicate_rate: Share of sampled training rows with an exact or near copy among the other training
            rows: the rate a random holdout of the same table copies training rows at (None without a holdout).
        copies: ``(column, agreement)`` best first: Cohen's κ of each column holding the label's own values with
            the label (classification), or the absolute Pearson correlation of each numeric column with the target
            (regression).
        proxies: The suspect columns scored alone and the model refit without them (:func:`target_proxies`).
        repeated: Training rows repeated across folds and their optimism (:func:`repeated_rows`).
    """

    holdout_rows: int
    exact_duplicates: int
    near_duplicates: int
    near_checked: int
    duplicate_rate: float | None
    duplicate_rows: tuple[int, ...]
    feature_scores: tuple[tuple[str, float], ...]
    seconds: float
    train_duplicate_rate: float | None = None
    copies: tuple[tuple[str, float], ...] = ()
    proxies: tuple[Proxy, ...] = ()
    repeated: RepeatedRows | None = None

    @property
    def excess_duplicate_rate(self) -> float | None:
        """How much more often holdout rows copy a training row than a random holdout of the same table would (≥ 0).

        A random holdout row copies a training row about as often as a training row copies another one
        (``train_duplicate_rate``, p); the excess is the holdout's rate beyond p plus two binomial standard errors
        of a holdout of its size, ``2·sqrt(p(1 − p)/n)``, and one row (``1/n``): a chance copy in a small holdout
        (a pair of identical rows split between training and holdout) is not a leak.
        """
        if self.duplicate_rate is None:
            return None
        own = self.train_duplicate_rate or 0.0
        n = max(1, min(self.holdout_rows, self.near_checked or self.holdout_rows))
        return max(0.0, self.duplicate_rate - own - 2.0 * float(np.sqrt(own * (1.0 - own) / n)) - 1.0 / n)

    @property
    def max_feature_score(self) -> float | None:
        """The score of the most target-revealing column."""
        return self.feature_scores[0][1] if self.feature_scores else None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``leakage`` section."""
        return {
            "holdout_rows": self.holdout_rows,
            "exact_duplicates": self.exact_duplicates,
            "near_duplicates": self.near_duplicates,
            "near_checked": self.near_checked,
            "duplicate_rate": self.duplicate_rate,
            "duplicate_rows": list(self.duplicate_rows),
            "top_features": [{"feature": f, "score": round(s, 6)} for f, s in self.feature_scores[:5]],
            "seconds": round(self.seconds, 3),
            "train_duplicate_rate": self.train_duplicate_rate,
            "excess_duplicate_rate": self.excess_duplicate_rate,
            "copies": [{"feature": f, "agreement": round(a, 6)} for f, a in self.copies[:5]],
            "proxies": [p.to_dict() for p in self.proxies],
            "repeated": None if self.repeated is None else self.repeated.to_dict(),
        }


def _near_copies(X_train: pd.DataFrame, X_hold: pd.DataFrame, sample: np.ndarray) -> tuple[np.ndarray, float]:
    """Which holdout rows are near copies of a training row, and the share of sampled training rows that are near
    copies of another training row (the same threshold)."""
    from sklearn.neighbors import NearestNeighbors

    numeric = [c for c in X_train.columns if pd.api.types.is_numeric_dtype(X_train[c])]
    if not numeric:
        return np.zeros(len(X_hold), dtype=bool), 0.0
    train = X_train[numeric].to_numpy(dtype=float)
    mean, std = np.nanmean(train, axis=0), np.nanstd(train, axis=0)
    std[~np.isfinite(std) | (std == 0)] = 1.0

    def scale(a: np.ndarray) -> np.ndarray:
        return np.nan_to_num((a - np.nan_to_num(mean)) / std).astype(np.float32)

    train = scale(train)
    index = NearestNeighbors(n_neighbors=2).fit(train)
    within = index.kneighbors(train[sample], n_neighbors=2, return_distance=True)[0][:, 1]
    threshold = NEAR_FACTOR * float(np.median(within))
    dist = index.kneighbors(scale(X_hold[numeric].to_numpy(dtype=float)), n_neighbors=1)[0][:, 0]
    return dist <= threshold, float(np.mean(within <= threshold))


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _rank_r2(values: pd.Series, y: pd.Series) -> float:
    """Squared Spearman correlation of a numeric column with the target (0 for other columns)."""
    if not _is_number(values):
        return 0.0
    both = pd.DataFrame({"x": values.to_numpy(dtype=float), "y": y.to_numpy(dtype=float)}).dropna()
    if len(both) < 3 or both["x"].nunique() < 2 or both["y"].nunique() < 2:
        return 0.0
    r = float(both["x"].rank().corr(both["y"].rank()))
    return r * r if np.isfinite(r) else 0.0


def _kappa(values: pd.Series, y: pd.Series) -> float | None:
    """Cohen's κ of a column with the label, for a column whose values are all label values (None otherwise)."""
    present = values.notna().to_numpy()
    column, label = values.astype(str).to_numpy(), y.astype(str).to_numpy()
    classes = np.unique(label)
    if not present.any() or not set(np.unique(column[present])) <= set(classes):
        return None
    observed = float(np.mean(column == label))
    expected = float(sum(np.mean(column == c) * np.mean(label == c) for c in classes))
    return None if expected >= 1 else (observed - expected) / (1 - expected)


def _copies(X: pd.DataFrame, y: pd.Series, *, classification: bool) -> tuple[tuple[str, float], ...]:
    """How closely each column copies the target: κ of label-valued columns, or |Pearson r| of numeric ones."""
    found: list[tuple[str, float]] = []
    for c in X.columns:
        if classification:
            kappa = _kappa(X[c], y)
            if kappa is not None:
                found.append((str(c), kappa))
        elif _is_number(X[c]):
            both = pd.DataFrame({"x": X[c].to_numpy(dtype=float), "y": y.to_numpy(dtype=float)}).dropna()
            r = float(both["x"].corr(both["y"])) if len(both) >= 3 else float("nan")
            if np.isfinite(r):
                found.append((str(c), abs(r)))
    return tuple(sorted(found, key=lambda item: -item[1]))


def find_leakage(
    X_train: pd.DataFrame,
    y_train: pd.Series,
    X_holdout: pd.DataFrame | None = None,
    *,
    classification: bool,
    seed: int = 0,
    max_bins: int = 64,
    max_near_rows: int = 1000,
) -> LeakageResult:
    """Look for copied holdout rows and for columns that reveal the target on their own.

    Args:
        X_train: Training features.
        y_train: Training target.
        X_holdout: Holdout features, or None (then only the columns are checked).
        classification: Score columns by uncertainty coefficient (True) or η² (False).
        seed: Seed of the samples used for near duplicates.
        max_bins: Bins per column for the column scores.
        max_near_rows: Most holdout rows (and training rows, for the distance scale) in the
            nearest-neighbour query; exact duplicates are always counted over every row.

    Returns:
        The duplicates and the per-column scores.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> find_leakage(X.iloc[:100], y.iloc[:100], X.iloc[:10], classification=True).exact_duplicates
        10
    """
    start = time.perf_counter()
    exact = near = checked = 0
    rate: float | None = None
    train_rate: float | None = None
    rows: tuple[int, ...] = ()
    if X_holdout is not None and len(X_holdout):
        hold = X_holdout[list(X_train.columns)]
        seen = set(pd.util.hash_pandas_object(X_train, index=False).to_numpy().tolist())
        is_exact = np.fromiter((h in seen for h in pd.util.hash_pandas_object(hold, index=False)), bool, len(hold))
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(len(hold), size=min(len(hold), max_near_rows), replace=False))
        scale_rows = rng.choice(len(X_train), size=min(len(X_train), max_near_rows), replace=False)
        near_rows, train_near = _near_copies(X_train, hold.iloc[pick], scale_rows)
        is_near = is_exact[pick] | near_rows
        train_hashes = pd.util.hash_pandas_object(X_train, index=False)
        train_rate = max(float(train_hashes.duplicated(keep=False).mean()), train_near)
        exact, near, checked = int(is_exact.sum()), int(is_near.sum()), int(pick.size)
        rate = max(exact / len(hold), near / checked)
        copied = np.union1d(np.flatnonzero(is_exact), pick[is_near])
        rows = tuple(int(i) for i in np.asarray(hold.index)[copied][:100])
    target = y_train.to_numpy()
    bins = max(2, min(max_bins, len(X_train) // 8))
    score = uncertainty_coefficient if classification else eta_squared
    copies = _copies(X_train, y_train, classification=classification)
    scores = [(str(c), score(bin_column(X_train[c], max_bins=bins), target)) for c in X_train.columns]
    if classification:
        kappa = dict(copies)
        scores = [(c, max(s, kappa.get(c, 0.0))) for c, s in scores]
    else:
        scores = [(c, max(s, _rank_r2(X_train[c], y_train))) for c, s in scores]
    scores.sort(key=lambda item: -item[1])
    return LeakageResult(
        holdout_rows=0 if X_holdout is None else len(X_holdout),
        exact_duplicates=exact,
        near_duplicates=near,
        near_checked=checked,
        duplicate_rate=rate,
        duplicate_rows=rows,
        feature_scores=tuple(scores),
        seconds=time.perf_counter() - start,
        train_duplicate_rate=train_rate,
        copies=copies,
    )


#: Neighbour whose median distance sets the scale of "near" for repeated training rows: past the copies of one
#: entity (the benchmark's groups have 4), so a table made of clusters is not measured by its own clusters.
SCALE_NEIGHBOUR = 8
#: Most rows whose near copies are looked for (a k-NN graph of every row); a larger table: exact copies only.
MAX_CLUSTER_ROWS = 10_000
#: Smallest share of training rows in clusters that span folds for the grouped refit to run.
MIN_REFIT_SHARE = 0.02


@dataclass(frozen=True)
class RepeatedRows:
    """Training rows repeated (exact or near copies) on both sides of a fold, and the optimism they add.

    Attributes:
        rows: Training rows looked at.
        repeated: Rows with an exact or near copy among the other training rows.
        exact: Rows with an exact copy (features only).
        clusters: Clusters of copies (two rows or more).
        typical_size: Median size of those clusters (0 without any).
        spanning: Rows of clusters whose rows fall in more than one test fold.
        share: ``spanning / rows``.
        grouped: Whether the copies look like an undeclared grouping (most rows in clusters of 3 rows or more of
            near, not exact, copies: repeated subjects, sessions, patients) rather than duplicated rows.
        metric: The metric of the scores (the primary one).
        reported: Mean test score of the configured folds (first repeat).
        honest: Mean test score of the same folds with every cluster moved to one fold; None when not refit.
        optimism: ``reported − honest`` (greater is better in every scorer); None when not refit.
        optimism_low: Lower bound of the optimism (one-sided 95 % paired t over the per-fold differences), what
            the rule judges: a noisy score (a small r²) moves when its folds change, copies move it the same way in
            every fold. None when not refit.
        examples: Data-file rows of the largest spanning clusters (first rows, at most 10).
        seconds: Wall time (clusters and refit).
    """

    rows: int
    repeated: int
    exact: int
    clusters: int
    typical_size: float
    spanning: int
    share: float
    grouped: bool
    metric: str
    reported: float | None
    honest: float | None
    optimism: float | None
    examples: tuple[int, ...]
    seconds: float
    optimism_low: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``leakage.repeated`` form."""

        def num(value: float | None) -> float | None:
            return None if value is None or not np.isfinite(value) else round(float(value), 6)

        return {
            "rows": self.rows,
            "repeated": self.repeated,
            "exact": self.exact,
            "clusters": self.clusters,
            "typical_size": self.typical_size,
            "spanning": self.spanning,
            "share": round(self.share, 6),
            "grouped": self.grouped,
            "metric": self.metric,
            "reported": num(self.reported),
            "honest": num(self.honest),
            "optimism": num(self.optimism),
            "optimism_low": num(self.optimism_low),
            "examples": list(self.examples),
            "seconds": round(self.seconds, 3),
        }


def copy_clusters(
    X: pd.DataFrame, *, factor: float = NEAR_FACTOR, neighbour: int = SCALE_NEIGHBOUR, max_rows: int = MAX_CLUSTER_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster the rows that are exact or near copies of each other.

    Two rows are near copies when their distance (Datalab's feature matrix:
    :func:`gapgates.compute.datalab.feature_matrix`) is at most ``factor`` × the median distance of a row to its
    ``neighbour``-th nearest row (Datalab's rule, scaled past the copies of one entity, so that a table made of
    jittered copies does not hide them); clusters are the connected components of that graph.

    Args:
        X: The rows.
        factor: The near-copy factor (Datalab's 0.13).
        neighbour: The neighbour whose median distance is the scale.
        max_rows: Above this many rows only exact copies are clustered (the k-NN graph of every row is skipped).

    Returns:
        ``(cluster id of every row, whether the row has an exact copy)``; a row without copies is a cluster of one.

    Example:
        >>> X = pd.DataFrame({"a": [0.0, 0.0, 1.0, 2.0, 3.0]})
        >>> copy_clusters(X, neighbour=2)[0].tolist()
        [0, 0, 1, 2, 3]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.neighbors import NearestNeighbors

    from gapgates.compute.datalab import feature_matrix

    n = len(X)
    hashes = pd.util.hash_pandas_object(X, index=False).to_numpy()
    exact_id = pd.factorize(hashes)[0]
    exact = np.bincount(exact_id)[exact_id] > 1
    if n < 3 or n > max_rows:  # a k-NN graph of every row costs too much past max_rows: exact copies only
        return exact_id, exact
    matrix = feature_matrix(X).astype(np.float32)
    k = min(neighbour, n - 1)
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(matrix).kneighbors(matrix)
    threshold = factor * float(np.median(dist[:, k]))
    close = (dist[:, 1:] <= threshold) & (idx[:, 1:] != np.arange(n)[:, None])
    rows = np.repeat(np.arange(n), k)[close.ravel()]
    cols = idx[:, 1:].ravel()[close.ravel()]
    first = np.unique(exact_id, return_index=True)[1][exact_id]  # every exact copy linked to its first row
    rows, cols = np.concatenate([rows, np.arange(n)]), np.concatenate([cols, first])
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[1], exact


def first_repeat(splits: Splits) -> Splits:
    """The folds of the first repeat of k-fold: the leading folds whose test rows do not overlap."""
    seen: set[int] = set()
    out: Splits = []
    for train, test in splits:
        rows = {int(i) for i in test}
        if seen & rows:
            break
        seen |= rows
        out.append((train, test))
    return out


def _kept_together(labels: np.ndarray, splits: Splits) -> tuple[Splits, np.ndarray]:
    """The same folds with every cluster moved to the test fold of most of its rows; and, per cluster, whether its
    rows were tested in more than one fold."""
    n = len(labels)
    fold = np.full(n, -1)
    for i, (_, test) in enumerate(splits):
        fold[test] = i
    tested = fold >= 0
    k = len(splits)
    counts = np.zeros((int(labels.max()) + 1, k), dtype=int)
    np.add.at(counts, (labels[tested], fold[tested]), 1)
    spans = (counts > 0).sum(axis=1) > 1
    moved = np.where(tested, counts.argmax(axis=1)[labels], -1)
    every = np.arange(n)
    together = [(every[(moved != i) & tested], every[moved == i]) for i in range(k)]
    return together, spans


def repeated_rows(
    estimator: Any,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    splits: Splits,
    reported: Sequence[float],
    metric: str,
    min_share: float = MIN_REFIT_SHARE,
    n_jobs: int | None = None,
) -> RepeatedRows:
    """Find training rows repeated across folds and re-estimate the test score with each cluster kept in one fold.

    The clusters are :func:`copy_clusters`'. When the rows of clusters that span test folds are at least
    ``min_share`` of the rows, the estimator is refit on the same folds with every cluster moved to the fold of
    most of its rows (a grouped k-fold on the clusters, paired with the reported one), scored with the same scorer.

    Args:
        estimator: The unfitted estimator.
        X: Training features.
        y: Training target.
        splits: The configured folds (one repeat).
        reported: The test score of each of those folds, as the gap measured it.
        metric: The primary metric (a scikit-learn scoring name).
        min_share: Refit only when this share of the rows spans folds.
        n_jobs: Parallel fits.

    Returns:
        The clusters, the share spanning folds, and the reported and honest scores.

    Example:
        >>> repeated_rows(model, X, y, splits=folds, reported=gap.primary.test[:5], metric="accuracy").optimism
        ... # doctest: +SKIP
        0.031
    """
    from sklearn.base import clone
    from sklearn.model_selection import cross_validate

    start = time.perf_counter()
    labels, exact = copy_clusters(X)
    sizes = np.bincount(labels)
    multi = sizes[labels] > 1
    together, spans = _kept_together(labels, splits)
    spanning = spans[labels]
    share = float(spanning.mean()) if len(spanning) else 0.0
    big = sizes[sizes > 1]
    typical = float(np.median(big)) if big.size else 0.0
    grouped = bool(multi.mean() >= 0.5 and typical >= 3 and exact.mean() < 0.5 * multi.mean())
    honest = optimism = optimism_low = None
    reported_mean = float(np.mean(reported)) if len(reported) else None
    if share >= min_share and all(len(test) and len(train) for train, test in together):
        raw = cross_validate(clone(estimator), X, y, scoring=metric, cv=together, n_jobs=n_jobs, error_score="raise")
        honest = float(np.mean(raw["test_score"]))
        optimism = None if reported_mean is None else reported_mean - honest
        if optimism is not None and len(reported) == len(together) > 1:
            from scipy import stats

            differences = np.asarray(reported, dtype=float) - np.asarray(raw["test_score"], dtype=float)
            spread = float(np.std(differences, ddof=1)) / np.sqrt(differences.size)
            optimism_low = float(differences.mean()) - float(stats.t.ppf(0.95, df=differences.size - 1)) * spread
    order = [int(c) for c in np.argsort(-sizes, kind="stable") if sizes[c] > 1 and spans[c]][:10]
    first_row = np.unique(labels, return_index=True)[1]
    examples = tuple(int(np.asarray(X.index)[first_row[c]]) for c in order)
    return RepeatedRows(
        rows=len(X),
        repeated=int(multi.sum()),
        exact=int(exact.sum()),
        clusters=int(big.size),
        typical_size=typical,
        spanning=int(spanning.sum()),
        share=share,
        grouped=grouped,
        metric=metric,
        reported=reported_mean,
        honest=honest,
        optimism=optimism,
        optimism_low=None if optimism_low is None or not np.isfinite(optimism_low) else float(optimism_low),
        examples=examples,
        seconds=time.perf_counter() - start,
    )


#: A column is a suspect target proxy when it alone reaches this share of the model's skill over the dummy.
PROXY_SHARE = 0.9
#: Columns checked as proxies: the most target-revealing ones by the cheap score.
PROXY_SUSPECTS = 2


@dataclass(frozen=True)
class Proxy:
    """One column checked as a target proxy: the score it gives alone and the model's score without it.

    Attributes:
        column: The column.
        alone: Mean test score of a small tree on this column alone (same folds, same metric).
        dummy: Mean test score of the dummy model on the same folds.
        share: ``(alone − dummy) / (reported − dummy)``: the share of the model's skill the column gives alone.
        reported: The model's mean test score (first repeat of the configured folds).
        without: The model's mean test score with every suspect column (share at least :data:`PROXY_SHARE`) made
            constant; None when this column is not a suspect.
        closure: ``(alone − without) / (perfect − without)``: the share of the error the other columns leave that
            this column removes on its own (perfect: 1, or 0 for a ``neg_*`` metric); None when not a suspect.
    """

    column: str
    alone: float
    dummy: float
    share: float
    reported: float
    without: float | None
    closure: float | None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` form."""

        def num(value: float | None) -> float | None:
            return None if value is None or not np.isfinite(value) else round(float(value), 6)

        return {
            "column": self.column,
            "alone": num(self.alone),
            "dummy": num(self.dummy),
            "share": num(self.share),
            "reported": num(self.reported),
            "without": num(self.without),
            "closure": num(self.closure),
        }


def _one_column(values: pd.Series) -> np.ndarray:
    """A column as one numeric feature for a tree: numbers as they are, other values as codes (missing: -1)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return np.nan_to_num(values.to_numpy(dtype=float), nan=-1e12).reshape(-1, 1)
    return pd.factorize(values.astype("object"))[0].astype(float).reshape(-1, 1)


def target_proxies(
    estimator: Any,
    X: pd.DataFrame,
    y: pd.Series,
    suspects: Sequence[str],
    *,
    splits: Splits,
    reported: Sequence[float],
    metric: str,
    classification: bool,
    share: float = PROXY_SHARE,
    refit: bool = True,
    n_jobs: int | None = None,
) -> tuple[Proxy, ...]:
    """Score each suspect column alone and, for those that come close to the model, the model without them.

    A small tree (at most 32 leaves) on the column alone and a dummy model are cross-validated on the same folds
    with the same metric. The columns that alone give at least ``share`` of the model's skill over the dummy are
    made constant together (their information gone, the columns the model expects unchanged) and the estimator is
    refit once on the same folds. A natural strong feature removes part of the error the other columns leave; a
    column derived from the target removes nearly all of it (``closure`` near 1).

    Args:
        estimator: The unfitted estimator.
        X: Training features.
        y: Training target.
        suspects: The columns to check.
        splits: The configured folds (one repeat).
        reported: The model's test score of each of those folds.
        metric: The primary metric (a scikit-learn scoring name).
        classification: Fit classifiers (True) or regressors.
        share: The share of the model's skill that makes a column a suspect worth the refit.
        refit: Refit the model without the suspects (False: only the cheap fits, e.g. no fits left under the
            run's ceiling).
        n_jobs: Parallel fits.

    Returns:
        One :class:`Proxy` per suspect, in the order given; none for a table of one column.

    Example:
        >>> target_proxies(model, X, y, ["leak"], splits=folds, reported=gap.primary.test[:5],
        ...                metric="accuracy", classification=True)[0].closure  # doctest: +SKIP
        0.98
    """
    from sklearn.base import clone
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.model_selection import cross_validate
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if X.shape[1] < 2 or not suspects:
        return ()

    def score(model: Any, features: Any) -> float:
        raw = cross_validate(model, features, y, scoring=metric, cv=splits, n_jobs=n_jobs, error_score="raise")
        return float(np.mean(raw["test_score"]))

    model_score = float(np.mean(reported))
    dummy = score(DummyClassifier(strategy="prior") if classification else DummyRegressor(), np.zeros((len(X), 1)))
    tree = (DecisionTreeClassifier if classification else DecisionTreeRegressor)(
        max_leaf_nodes=32, min_samples_leaf=5, random_state=0
    )
    skill = model_score - dummy
    scored = []
    for column in suspects:
        alone = score(clone(tree), _one_column(X[column]))
        scored.append((column, alone, (alone - dummy) / skill if skill > 0 else 0.0))
    close = [c for c, _, s in scored if s >= share]
    without = None
    if refit and close and len(close) < X.shape[1]:
        without = score(clone(estimator), X.assign(**{c: X[c].iloc[0] for c in close}))
    perfect = 0.0 if metric.startswith("neg_") else 1.0
    found = []
    for column, alone, column_share in scored:
        closure = None
        if without is not None and column in close:
            closure = (alone - without) / (perfect - without) if perfect > without else 0.0
        found.append(Proxy(column, alone, dummy, column_share, model_score, without if column in close else None, closure))
    return tuple(found)
