"""Confidence intervals on cross-validated differences (Nadeau & Bengio, 2003).

Fold scores share training rows, so the plain standard error of a k-fold mean
is too small. Nadeau and Bengio's corrected resampled t-test inflates the
variance by the ratio of test to train size. For ``J`` fold values ``d_j``
(``J = k × repeats``; Bouckaert & Frank's repeated k-fold form) with mean ``d̄``
and sample variance ``s²``::

    var_corrected = (1/J + n_test/n_train) · s²
    CI            = d̄ ± t_{J−1, (1+c)/2} · sqrt(var_corrected)

where ``n_test`` and ``n_train`` are the average test and train sizes of a fold.

Repeats shrink only the ``1/J`` term: the ``n_test/n_train`` term (0.25 for 5 folds) accounts
for the overlap of training sets, which no number of repeats removes, so the half-width falls
from ``t_{4}·sqrt(0.45)·s ≈ 1.86 s`` at one 5-fold repeat to ``1.34 s`` at two, ``1.15 s`` at
four and towards ``1.96·sqrt(0.25)·s = 0.98 s``. Repeats added adaptively
(:mod:`gapgates.pipeline.repeats`) are ordinary repeats of k-fold — the folds of ``--repeats r``
with the same seed — so the same formula holds with ``J = k × r``; the interval is recomputed
over all of them at every look, at the same confidence (no correction for the looks: they
re-split the same rows, see docs/concepts/how-it-works.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["PairedDifference", "corrected_interval", "corrected_variance", "fold_standard_error", "paired_difference"]


def fold_standard_error(scores: Sequence[float] | Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """Plain standard error of the mean across folds (axis 0): ``std(ddof=1) / sqrt(folds)``.

    Not an interval: the uncorrected fold-to-fold noise, the yardstick of the one-standard-error
    rule (early stopping) and of a sweep's regimes. Intervals use :func:`corrected_variance`.

    Args:
        scores: One score per fold, or per fold a row of scores (one per iteration or value).

    Returns:
        The standard error (a 0-d array for one score per fold, one per column otherwise); NaN with
        fewer than two folds.
    """
    arr = np.asarray(scores, dtype=float)
    if arr.ndim == 0 or arr.shape[0] < 2:
        return np.full(arr.shape[1:], math.nan)
    return arr.std(axis=0, ddof=1) / math.sqrt(arr.shape[0])


def corrected_variance(values: Sequence[float] | np.ndarray, *, n_train: float, n_test: float) -> float:
    """Nadeau–Bengio corrected variance of the mean of fold values.

    Args:
        values: One value per fold (all repeats together).
        n_train: Average number of training rows per fold.
        n_test: Average number of test rows per fold.

    Returns:
        The corrected variance of the mean; NaN with fewer than two values.
    """
    arr = np.asarray(values, dtype=float)
    if arr.size < 2 or n_train <= 0:
        return math.nan
    return float((1.0 / arr.size + n_test / n_train) * arr.var(ddof=1))


def corrected_interval(
    values: Sequence[float], *, n_train: float, n_test: float, confidence: float = 0.95
) -> tuple[float, float]:
    """Two-sided corrected t interval on the mean of fold values.

    Args:
        values: One value per fold (all repeats together).
        n_train: Average number of training rows per fold.
        n_test: Average number of test rows per fold.
        confidence: Confidence level in (0, 1).

    Returns:
        ``(low, high)``; ``(nan, nan)`` with fewer than two values.

    Example:
        >>> low, high = corrected_interval([0.1, 0.12, 0.08], n_train=80, n_test=40)
        >>> low < 0.1 < high
        True
    """
    arr = np.asarray(values, dtype=float)
    var = corrected_variance(arr, n_train=n_train, n_test=n_test)
    if math.isnan(var):
        return (math.nan, math.nan)
    half = stats.t.ppf((1.0 + confidence) / 2.0, df=arr.size - 1) * math.sqrt(var)
    mean = float(arr.mean())
    return (mean - half, mean + half)


@dataclass(frozen=True)
class PairedDifference:
    """How much one model's per-fold scores exceed another's on the same folds, with the corrected interval.

    Attributes:
        mean: Mean of ``reference − candidate`` over the folds (positive: the reference scores higher).
        low: Lower bound of the corrected interval (NaN with fewer than two folds).
        high: Upper bound of the corrected interval.
        se: Standard error of the mean difference over the folds, ``sd / sqrt(J)`` (not corrected for the folds'
            overlap: how far the mean of these folds is from the mean another fold assignment would give, roughly);
            NaN with fewer than two folds.
    """

    mean: float
    low: float
    high: float
    se: float = math.nan

    def to_dict(self) -> dict[str, float | None]:
        """The JSON form (NaN as None)."""
        return {k: (v if math.isfinite(v) else None) for k, v in (("mean", self.mean), ("low", self.low), ("high", self.high))}


def paired_difference(
    reference: Sequence[float], candidate: Sequence[float], *, n_train: float, n_test: float, confidence: float = 0.95
) -> PairedDifference:
    """The paired difference ``reference − candidate`` of per-fold scores, with its corrected interval.

    Both models must have been scored on the same folds, in the same order: the difference of each fold removes
    what the fold's rows make easy or hard, and :func:`corrected_interval` accounts for the folds' overlap.

    Args:
        reference: The reference's per-fold test scores.
        candidate: The candidate's per-fold test scores, same folds.
        n_train: Average number of training rows per fold.
        n_test: Average number of test rows per fold.
        confidence: Confidence level in (0, 1).

    Returns:
        The mean difference and its interval.

    Raises:
        ValueError: When the two have a different number of folds.

    Example:
        >>> d = paired_difference([0.9, 0.92, 0.91], [0.8, 0.83, 0.8], n_train=80, n_test=20)
        >>> round(d.mean, 3), d.low > 0
        (0.1, True)
    """
    ref, cand = np.asarray(reference, dtype=float), np.asarray(candidate, dtype=float)
    if ref.shape != cand.shape:
        raise ValueError(f"A paired difference needs the same folds for both models. Got {ref.size} and {cand.size} folds.")
    diff = ref - cand
    low, high = corrected_interval(diff, n_train=n_train, n_test=n_test, confidence=confidence)
    se = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size >= 2 else math.nan
    return PairedDifference(mean=float(diff.mean()) if diff.size else math.nan, low=low, high=high, se=se)
