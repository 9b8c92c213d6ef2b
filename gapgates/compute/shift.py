"""Train/holdout shift by adversarial validation: can a classifier tell the two apart?

Cost: exactly one extra model fit — a ``HistGradientBoostingClassifier`` with
50 iterations, fit on two thirds of (at most ``max_rows``) stacked train and
holdout rows and scored (AUC) on the last third. The features that separate
the two most are ranked without any fit: each column alone, binned, scored by
the AUC of its per-bin holdout share.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gapgates.data.columns import bin_column

if TYPE_CHECKING:
    from gapgates.compute.drift import ColumnDrift

__all__ = ["ShiftResult", "adversarial_validation"]


@dataclass(frozen=True)
class ShiftResult:
    """How well train rows and holdout rows can be told apart.

    Attributes:
        auc: ROC AUC of the adversarial classifier on its held-out third (0.5: indistinguishable).
        top_features: ``(column, AUC of that column alone)``, most separating first.
        rows: Rows the classifier saw (train + holdout, after sampling).
        seconds: Wall time of the check, fit included.
        columns: The per-column drift tests (KS numeric, chi-square categorical, PSI both; see
            :func:`gapgates.compute.drift.column_drift`), most drifted first; empty when not computed.
        drift_alpha: Their family-wise significance level (None when not computed).
    """

    auc: float
    top_features: tuple[tuple[str, float], ...]
    rows: int
    seconds: float
    columns: tuple[ColumnDrift, ...] = ()
    drift_alpha: float | None = None

    @property
    def drifted(self) -> tuple[str, ...]:
        """The columns whose test finds drift, most drifted (smallest p-value, then largest PSI) first."""
        return tuple(c.column for c in self.columns if c.drifted)

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``shift`` section."""
        out: dict[str, Any] = {
            "auc": round(self.auc, 6),
            "top_features": [{"feature": f, "auc": round(a, 6)} for f, a in self.top_features],
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
        }
        if self.drift_alpha is not None:
            out.update(drift_alpha=self.drift_alpha, drifted=list(self.drifted), columns=[c.to_dict() for c in self.columns])
        return out


def _encode(X: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns as they are, the others as integer codes (missing stays missing)."""
    out = {}
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(float)
        else:
            codes, _ = pd.factorize(s.astype("string"), use_na_sentinel=True)
            out[col] = np.where(codes < 0, np.nan, codes).astype(float)
    return pd.DataFrame(out, index=X.index)


def _column_auc(codes: np.ndarray, is_hold: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    hold = np.bincount(codes, weights=is_hold.astype(float))
    share = hold / np.maximum(np.bincount(codes), 1)
    return float(roc_auc_score(is_hold, share[codes]))


def adversarial_validation(
    X_train: pd.DataFrame, X_holdout: pd.DataFrame, *, seed: int = 0, max_rows: int = 20_000, top: int = 5
) -> ShiftResult:
    """Fit one classifier to tell holdout rows from training rows and report its AUC.

    Args:
        X_train: Training features.
        X_holdout: Holdout features (same columns; reordered to the training order).
        seed: Seed of the sampling, the split and the classifier.
        max_rows: Most stacked rows used (sampled evenly from both sides above that).
        top: How many separating features to report.

    Returns:
        The AUC (≈0.5: same distribution; near 1: the holdout comes from elsewhere)
        and the columns that separate the two most.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> X = load_iris(as_frame=True).data
        >>> 0.3 < adversarial_validation(X.iloc[::2], X.iloc[1::2]).auc < 0.7
        True
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    # Above max_rows, each side is sampled on its own, half each (a smaller side gives its unused share to the
    # other): a uniform draw over the stack would leave a handful of the smaller side's rows, and a noisy AUC.
    n_hold = min(len(X_holdout), max(max_rows // 2, max_rows - len(X_train)))
    n_train = min(len(X_train), max_rows - n_hold)

    def draw(frame: pd.DataFrame, n: int) -> pd.DataFrame:
        return frame if n >= len(frame) else frame.iloc[np.sort(rng.choice(len(frame), size=n, replace=False))]

    stacked = pd.concat([draw(X_train, n_train), draw(X_holdout[list(X_train.columns)], n_hold)], ignore_index=True)
    is_hold = np.r_[np.zeros(n_train, dtype=int), np.ones(n_hold, dtype=int)]
    features = _encode(stacked)
    fit_rows, eval_rows = train_test_split(np.arange(len(features)), test_size=1 / 3, stratify=is_hold, random_state=seed)
    clf = HistGradientBoostingClassifier(max_iter=50, early_stopping=False, random_state=seed)
    clf.fit(features.iloc[fit_rows], is_hold[fit_rows])
    auc = float(roc_auc_score(is_hold[eval_rows], clf.predict_proba(features.iloc[eval_rows])[:, 1]))
    scores = [(str(c), _column_auc(bin_column(stacked[c]), is_hold)) for c in stacked.columns]
    scores.sort(key=lambda item: -item[1])
    seconds = time.perf_counter() - start
    return ShiftResult(auc=auc, top_features=tuple(scores[:top]), rows=len(stacked), seconds=seconds)
