"""Per-column helpers shared by the shift, leakage and drift checks and the label-free estimate: binning,
one-column scores and the text of a category.

Every column is turned into at most ``max_bins`` codes (numeric: quantile bins;
other: its most frequent values plus one "other" code; missing values: a code of
their own), so a column is scored on its own without fitting any model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["bin_column", "category_text", "eta_squared", "uncertainty_coefficient"]

#: Whole numbers up to this size are written without their ``.0`` (beyond it a float no longer holds every integer).
_EXACT = 2**53


def _category(value: Any) -> str:
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
    elif isinstance(value, float | np.floating):
        number = float(value)
    else:
        return str(value)
    if math.isfinite(number) and number.is_integer() and abs(number) < _EXACT:
        return str(int(number))
    return value if isinstance(value, str) else str(value)


def category_text(values: pd.Series) -> pd.Series:
    """A non-numeric column's values as the text its categories are compared by (missing values stay missing).

    A whole number is written alike whether it was read as a number or as text (``1``, ``1.0`` and ``"1.0"`` are all
    ``"1"``): a CSV column mixing numbers and text is read back as text (``"1"``, ``"x"``), while a batch of the
    same column holding only numbers is parsed as floats (``1.0``). Zero-padded codes (``"01"``) lose their padding
    alike on both sides.

    Args:
        values: The column.

    Returns:
        A ``string`` column of the same length and index.

    Example:
        >>> category_text(pd.Series([1.0, "1", "1.0", "x", None, 2.5])).tolist()
        ['1', '1', '1', 'x', <NA>, '2.5']
    """
    present = values.dropna()
    mapping = {value: _category(value) for value in pd.unique(present.to_numpy(dtype=object))}
    return pd.Series(values.to_numpy(dtype=object), index=values.index).map(mapping).astype("string")


def bin_column(values: pd.Series, *, max_bins: int = 32) -> np.ndarray:
    """Codes ``0..max_bins`` for one column (the last code is for missing values).

    Args:
        values: The column.
        max_bins: Most bins for the non-missing values.

    Returns:
        Integer codes, one per row.

    Example:
        >>> bin_column(pd.Series([1.0, 2.0, 3.0, 4.0]), max_bins=2).tolist()
        [0, 0, 1, 1]
    """
    missing = values.isna().to_numpy()
    codes = np.full(len(values), max_bins, dtype=int)
    present = values[~missing]
    if present.empty:
        return codes
    if pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present):
        numbers = present.to_numpy(dtype=float)
        edges = np.unique(np.quantile(numbers, np.linspace(0, 1, max_bins + 1)[1:-1]))
        codes[~missing] = np.searchsorted(edges, numbers, side="right")
    else:
        text = present.astype(str)
        top = text.value_counts().index[: max_bins - 1]
        lookup = {v: i for i, v in enumerate(top)}
        codes[~missing] = text.map(lookup).fillna(max_bins - 1).astype(int).to_numpy()
    return codes


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def uncertainty_coefficient(codes: np.ndarray, target: np.ndarray) -> float:
    """Share of the target's entropy the codes remove: 0 independent, 1 the column determines the target."""
    _, t = np.unique(target, return_inverse=True)
    table = np.zeros((int(codes.max()) + 1, int(t.max()) + 1))
    np.add.at(table, (codes, t), 1)
    h_y = _entropy(table.sum(axis=0))
    if h_y == 0:
        return 0.0
    rows = table.sum(axis=1)
    h_y_given = sum(rows[i] / rows.sum() * _entropy(table[i]) for i in np.flatnonzero(rows))
    return float(max(0.0, 1.0 - h_y_given / h_y))


def eta_squared(codes: np.ndarray, target: np.ndarray) -> float:
    """Correlation ratio: share of the target's variance explained by the mean of each code."""
    y = np.asarray(target, dtype=float)
    total = float(((y - y.mean()) ** 2).sum())
    if total == 0:
        return 0.0
    sums = np.bincount(codes, weights=y)
    counts = np.bincount(codes)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    within = float(((y - means[codes]) ** 2).sum())
    return float(max(0.0, 1.0 - within / total))
