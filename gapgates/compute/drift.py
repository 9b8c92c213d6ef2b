"""Drift between the rows a version was trained on and fresh production rows.

Two views, both on the version's stored training sample (:mod:`gapgates.registry.sample`) and the
fresh rows:

* **Adversarial AUC** (:func:`gapgates.compute.shift.adversarial_validation`): how well one
  classifier tells fresh rows from training rows (0.5: indistinguishable).
* **Per-column tests**, which name the drifted columns. The test follows the *training* column's
  type, so a numeric column that arrives as text (one bad token such as ``"n/a"``) is still tested
  as numbers: its fresh values are converted, and what does not convert counts as missing.
  Numeric columns: the two-sample Kolmogorov–Smirnov test on the present values
  (``scipy.stats.ks_2samp``) *and* a chi-square test of the missing rate (a column going 90%
  missing has drifted even when its remaining values have not); the column's p-value is the
  smaller of the two, doubled (Bonferroni within the column). Other columns: Pearson's chi-square
  test on the table of value counts (``scipy.stats.chi2_contingency``; missing is a value of its
  own; values past the 50 most frequent, and values expected fewer than 5 times, are pooled into
  one, so the table stays small and the test valid; a column of mostly rare values, such as an
  ID, is therefore judged on its frequent values, and the adversarial AUC still sees it whole).
  A column is *drifted* when its p-value is below ``alpha / columns`` (Bonferroni: with many
  columns, one small p-value by chance is expected). Each column also gets its population stability index (PSI) over ten
  reference-quantile bins plus a missing bin (numeric) or its pooled values (categorical), an
  effect size that does not grow with the row count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gapgates.compute.shift import ShiftResult, adversarial_validation
from gapgates.data.columns import category_text
from gapgates.format import json_number

__all__ = ["ColumnDrift", "DriftResult", "column_drift", "measure_drift", "ranked"]

#: Floor of a bin's share in the PSI (an empty bin would make it infinite).
_PSI_FLOOR = 1e-4


@dataclass(frozen=True)
class ColumnDrift:
    """The drift test of one column.

    Attributes:
        column: Column name.
        test: ``ks`` (numeric) or ``chi2`` (categorical).
        statistic: The KS distance or the chi-square statistic.
        p_value: The test's p-value.
        psi: Population stability index (0: same distribution; above 0.25 is usually read as a large shift).
        drifted: Whether ``p_value`` is below the Bonferroni-corrected level.
    """

    column: str
    test: str
    statistic: float
    p_value: float
    psi: float
    drifted: bool

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``drift.columns`` entry."""
        return {
            "column": self.column,
            "test": self.test,
            "statistic": json_number(self.statistic),
            "p_value": json_number(self.p_value),
            "psi": json_number(self.psi),
            "drifted": self.drifted,
        }


@dataclass(frozen=True)
class DriftResult:
    """Drift of fresh rows from the training sample.

    Attributes:
        shift: The adversarial validation (AUC and the most separating columns).
        columns: One test per feature column, in training order.
        alpha: The family-wise significance level (each column is tested at ``alpha / len(columns)``).
        reference_rows: Rows of the training sample.
        fresh_rows: Fresh rows.
    """

    shift: ShiftResult
    columns: tuple[ColumnDrift, ...]
    alpha: float
    reference_rows: int
    fresh_rows: int

    @property
    def auc(self) -> float:
        """The adversarial AUC."""
        return self.shift.auc

    @property
    def drifted(self) -> tuple[str, ...]:
        """The drifted columns, most drifted (smallest p-value, then largest PSI) first."""
        hits = sorted((c for c in self.columns if c.drifted), key=lambda c: (c.p_value, -c.psi))
        return tuple(c.column for c in hits)

    @property
    def drifted_share(self) -> float:
        """Share of the feature columns that drifted."""
        return len(self.drifted) / len(self.columns) if self.columns else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``drift`` section."""
        return {
            "auc": json_number(self.auc),
            "top_features": self.shift.to_dict()["top_features"],
            "alpha": self.alpha,
            "drifted": list(self.drifted),
            "drifted_share": json_number(self.drifted_share),
            "reference_rows": self.reference_rows,
            "fresh_rows": self.fresh_rows,
            "columns": [c.to_dict() for c in self.columns],
        }


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.maximum(expected / max(expected.sum(), 1), _PSI_FLOOR)
    a = np.maximum(actual / max(actual.sum(), 1), _PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


#: Categorical values kept apart in the chi-square table (the rest are pooled).
_TOP_VALUES = 50


def _numeric(ref: pd.Series, new: pd.Series) -> tuple[float, float, float]:
    r_all = pd.to_numeric(ref, errors="coerce").to_numpy(dtype=float)
    n_all = pd.to_numeric(new, errors="coerce").to_numpy(dtype=float)  # what does not convert counts as missing
    r, n = r_all[np.isfinite(r_all)], n_all[np.isfinite(n_all)]
    if len(r_all) == 0 or len(n_all) == 0:
        return math.nan, math.nan, math.nan
    missing = np.array([[len(r_all) - len(r), len(r)], [len(n_all) - len(n), len(n)]])
    p_missing = 1.0
    if missing[:, 0].sum() > 0 and missing[:, 1].sum() > 0:
        p_missing = float(stats.chi2_contingency(missing)[1])
    if len(r) == 0 or len(n) == 0:  # no values on one side: only the missing rate can be compared
        return math.nan, p_missing, _psi(missing[0], missing[1])
    test = stats.ks_2samp(r, n)
    p_value = min(1.0, 2 * min(float(test.pvalue), p_missing))
    edges = np.unique(np.quantile(r, np.linspace(0, 1, 11)[1:-1]))
    bins = len(edges) + 1
    psi = _psi(
        np.r_[np.bincount(np.searchsorted(edges, r), minlength=bins), missing[0, 0]],
        np.r_[np.bincount(np.searchsorted(edges, n), minlength=bins), missing[1, 0]],
    )
    return float(test.statistic), p_value, psi


def _categorical(ref: pd.Series, new: pd.Series) -> tuple[float, float, float]:
    r = category_text(ref).fillna("<missing>").value_counts()
    n = category_text(new).fillna("<missing>").value_counts()
    table = pd.concat([r, n], axis=1, keys=["ref", "new"]).fillna(0).astype("float64")
    table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    total = table.to_numpy().sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / max(total, 1)
    keep = np.zeros(len(table), dtype=bool)
    keep[:_TOP_VALUES] = True
    keep &= expected.min(axis=1) >= 5  # a rare value's cell would make the chi-square invalid
    counts = table[keep].to_numpy()
    if (~keep).any():  # one pool: rare values (IDs) say nothing per value, and a sample alone makes them "new"
        counts = np.vstack([counts, table[~keep].to_numpy().sum(axis=0)])
    counts = counts[counts.sum(axis=1) > 0].T
    if counts.shape[1] < 2 or (counts.sum(axis=1) == 0).any():
        return 0.0, 1.0, 0.0
    statistic, p_value, _, _ = stats.chi2_contingency(counts)
    return float(statistic), float(p_value), _psi(counts[0], counts[1])


def column_drift(reference: pd.DataFrame, fresh: pd.DataFrame, *, alpha: float = 0.01) -> tuple[ColumnDrift, ...]:
    """Test every column of ``reference`` for drift in ``fresh``.

    Args:
        reference: Training rows (the columns to test).
        fresh: Fresh rows with the same columns.
        alpha: Family-wise significance level; each column is tested at ``alpha / columns``.

    Returns:
        One :class:`ColumnDrift` per column of ``reference``, in order. A numeric column without
        values on one side is judged on its missing rate alone (NaN statistic).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> ref = pd.DataFrame({"a": rng.normal(size=500), "b": rng.choice(["x", "y"], 500)})
        >>> new = pd.DataFrame({"a": rng.normal(2, 1, 500), "b": rng.choice(["x", "y"], 500)})
        >>> [(c.column, c.test, c.drifted) for c in column_drift(ref, new)]
        [('a', 'ks', True), ('b', 'chi2', False)]
    """
    level = alpha / max(len(reference.columns), 1)
    out = []
    for col in reference.columns:
        ref, new = reference[col], fresh[col]
        numeric = pd.api.types.is_numeric_dtype(ref) and not pd.api.types.is_bool_dtype(ref)  # the training type
        statistic, p_value, psi = (_numeric if numeric else _categorical)(ref, new)
        out.append(
            ColumnDrift(
                column=str(col),
                test="ks" if numeric else "chi2",
                statistic=statistic,
                p_value=p_value,
                psi=psi,
                drifted=bool(math.isfinite(p_value) and p_value < level),
            )
        )
    return tuple(out)


def ranked(columns: tuple[ColumnDrift, ...]) -> tuple[ColumnDrift, ...]:
    """The column tests, most drifted first: drifted before not, then smallest p-value, then largest PSI
    (p-values of strongly shifted columns underflow to 0 together; PSI still orders them)."""

    def key(c: ColumnDrift) -> tuple[bool, float, float]:
        p = c.p_value if math.isfinite(c.p_value) else 2.0
        return (not c.drifted, p, -(c.psi if math.isfinite(c.psi) else 0.0))

    return tuple(sorted(columns, key=key))


def measure_drift(reference: pd.DataFrame, fresh: pd.DataFrame, *, alpha: float = 0.01, seed: int = 0) -> DriftResult:
    """The adversarial AUC and the per-column tests of fresh rows against the training sample.

    Args:
        reference: The training sample's feature columns.
        fresh: The fresh rows' feature columns (same names; reordered to ``reference``'s order).
        alpha: Family-wise significance level of the per-column tests.
        seed: Seed of the adversarial classifier.

    Returns:
        The drift.
    """
    fresh = fresh[list(reference.columns)]
    shift = adversarial_validation(reference, fresh, seed=seed)
    return DriftResult(
        shift=shift,
        columns=column_drift(reference, fresh, alpha=alpha),
        alpha=alpha,
        reference_rows=len(reference),
        fresh_rows=len(fresh),
    )


@dataclass(frozen=True)
class ReferenceDrift:
    """The per-column drift of this run's training rows from the data the production version was accepted on.

    The reference is the training sample stored with the production version at its promotion
    (:mod:`gapgates.registry.sample`), so a retrain sees which columns moved since the last accepted data.

    Attributes:
        version: The production version whose sample is the reference.
        reference_rows: Rows of that sample.
        rows: This run's training rows.
        columns: One test per column the two share, in the sample's order.
        alpha: The family-wise significance level.
    """

    version: str
    reference_rows: int
    rows: int
    columns: tuple[ColumnDrift, ...]
    alpha: float

    @property
    def drifted(self) -> tuple[str, ...]:
        """The drifted columns, most drifted (smallest p-value, then largest PSI) first."""
        hits = sorted((c for c in self.columns if c.drifted), key=lambda c: (c.p_value, -c.psi))
        return tuple(c.column for c in hits)

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``reference_drift`` section (most drifted columns first)."""
        order = {name: i for i, name in enumerate(self.drifted)}
        columns = sorted(self.columns, key=lambda c: (order.get(c.column, len(order)), c.column))
        return {
            "version": self.version,
            "reference_rows": self.reference_rows,
            "rows": self.rows,
            "alpha": self.alpha,
            "drifted": list(self.drifted),
            "columns": [c.to_dict() for c in columns],
        }
