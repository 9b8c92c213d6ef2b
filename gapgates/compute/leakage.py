"""Leakage: holdout rows that copy training rows, and columns that give the target away.

No model is fit. Exact duplicates are found by hashing feature rows (all rows);
near duplicates by a nearest-neighbour query of at most ``max_near_rows`` sampled
holdout rows against the training rows (standardised numeric columns), with
cleanlab Datalab's rule: closer than 0.13 × the median nearest-neighbour distance
among as many sampled training rows. A leaking
column is one that, binned on its own, explains almost all of the target:
the uncertainty coefficient (classification) or correlation ratio η² (regression).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.data.columns import bin_column, eta_squared, uncertainty_coefficient

__all__ = ["LeakageResult", "find_leakage"]

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
        feature_scores: ``(column, score)`` best first: how much of the target one column explains (0–1).
        seconds: Wall time of the check.
    """

    holdout_rows: int
    exact_duplicates: int
    near_duplicates: int
    near_checked: int
    duplicate_rate: float | None
    duplicate_rows: tuple[int, ...]
    feature_scores: tuple[tuple[str, float], ...]
    seconds: float

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
        }


def _near_copies(X_train: pd.DataFrame, X_hold: pd.DataFrame, sample: np.ndarray) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    numeric = [c for c in X_train.columns if pd.api.types.is_numeric_dtype(X_train[c])]
    if not numeric:
        return np.zeros(len(X_hold), dtype=bool)
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
    return dist <= threshold


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
    rows: tuple[int, ...] = ()
    if X_holdout is not None and len(X_holdout):
        hold = X_holdout[list(X_train.columns)]
        seen = set(pd.util.hash_pandas_object(X_train, index=False).to_numpy().tolist())
        is_exact = np.fromiter((h in seen for h in pd.util.hash_pandas_object(hold, index=False)), bool, len(hold))
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(len(hold), size=min(len(hold), max_near_rows), replace=False))
        scale_rows = rng.choice(len(X_train), size=min(len(X_train), max_near_rows), replace=False)
        is_near = is_exact[pick] | _near_copies(X_train, hold.iloc[pick], scale_rows)
        exact, near, checked = int(is_exact.sum()), int(is_near.sum()), int(pick.size)
        rate = max(exact / len(hold), near / checked)
        copied = np.union1d(np.flatnonzero(is_exact), pick[is_near])
        rows = tuple(int(i) for i in np.asarray(hold.index)[copied][:100])
    target = y_train.to_numpy()
    bins = max(2, min(max_bins, len(X_train) // 8))
    score = uncertainty_coefficient if classification else eta_squared
    scores = [(str(c), score(bin_column(X_train[c], max_bins=bins), target)) for c in X_train.columns]
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
    )
