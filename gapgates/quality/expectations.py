"""Expectation configurations for the data-quality gate, as plain GX 1.x JSON dicts.

Nothing here imports Great Expectations: each expectation is the dict GX itself
stores in a suite file (``{"type", "kwargs", "meta", "severity"}``), so suites can
be built and tested without GX's import cost. :mod:`gapgates.quality.gx` turns them
into a GX ``ExpectationSuite``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NUMERIC_TYPES", "builtin_expectations", "json_value", "profile_expectations"]

#: GX type names accepted for a numeric column (an int column turns float when a null appears).
NUMERIC_TYPES = [
    *(f"{k}{b}" for k in ("int", "uint") for b in (8, 16, 32, 64)),
    "float16",
    "float32",
    "float64",
    *(f"{k}{b}Dtype" for k in ("Int", "UInt") for b in (8, 16, 32, 64)),
    "Float32Dtype",
    "Float64Dtype",
]
BOOL_TYPES = ["bool", "BooleanDtype"]
#: Non-numeric columns are validated as Python objects (see ``quality.gx_frame``), one type per value.
TEXT_TYPES = ["str"]
#: Share of non-null values that makes "not entirely null" pass: at least one value in 10⁹ rows.
NOT_ALL_NULL = 1e-9


def json_value(value: Any) -> Any:
    """A numpy scalar as a plain Python value (JSON-serialisable)."""
    return value.item() if isinstance(value, np.generic) else value


def _expect(kind: str, *, rule: str | None = None, severity: str = "critical", **kwargs: Any) -> dict[str, Any]:
    meta = {"gapgates_rule": rule} if rule else {}
    return {"type": kind, "kwargs": kwargs, "meta": meta, "severity": severity}


def builtin_expectations(
    columns: Sequence[str],
    *,
    target: str | None,
    labels: Sequence[Any] | None = None,
    min_rows: int = 1,
    max_null_fraction: float | None = 0.5,
    null_severity: str = "critical",
    severity: str = "critical",
    exact_columns: bool = False,
) -> list[dict[str, Any]]:
    """The always-on expectations of the gate.

    Args:
        columns: Columns the table must have (the target is always required).
        target: The target column: present, no nulls, values in ``labels``; None for rows without labels
            (label-free monitoring: no target expectation).
        labels: The accepted target values; None skips the set check.
        min_rows: Smallest accepted row count.
        max_null_fraction: Largest share of nulls in any non-target column; None skips it.
        null_severity: GX severity (``critical``/``warning``) of the null-fraction expectations.
        severity: GX severity of the others.
        exact_columns: Also refuse columns not in ``columns`` (used for the holdout).

    Returns:
        GX expectation configurations, in the order they are reported.

    Example:
        >>> [e["type"] for e in builtin_expectations(["x"], target="y")][:2]
        ['expect_table_row_count_to_be_between', 'expect_column_to_exist']
    """
    names = list(dict.fromkeys([*map(str, columns), *([] if target is None else [target])]))
    out = [_expect("expect_table_row_count_to_be_between", rule="min_rows", severity=severity, min_value=int(min_rows))]
    out += [_expect("expect_column_to_exist", rule="column_present", severity=severity, column=c) for c in names]
    if exact_columns:
        out.append(
            _expect(
                "expect_table_columns_to_match_set", rule="same_columns", severity=severity, column_set=names, exact_match=True
            )
        )
    if target is not None:
        out.append(_expect("expect_column_values_to_not_be_null", rule="target_not_null", severity=severity, column=target))
    if labels is not None and target is not None:
        out.append(
            _expect(
                "expect_column_values_to_be_in_set",
                rule="target_labels",
                severity=severity,
                column=target,
                value_set=[json_value(v) for v in labels],
            )
        )
    for c in names:
        if c == target:
            continue
        out.append(
            _expect("expect_column_values_to_not_be_null", rule="not_all_null", severity=severity, column=c, mostly=NOT_ALL_NULL)
        )
        if max_null_fraction is not None:
            out.append(
                _expect(
                    "expect_column_values_to_not_be_null",
                    rule="max_null_fraction",
                    severity=null_severity,
                    column=c,
                    mostly=round(1.0 - float(max_null_fraction), 12),
                )
            )
    return out


def _type_list(series: pd.Series) -> list[str] | None:
    if pd.api.types.is_bool_dtype(series):
        return BOOL_TYPES
    if pd.api.types.is_numeric_dtype(series):
        return NUMERIC_TYPES
    if pd.api.types.is_string_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return TEXT_TYPES
    return None


def _numeric_range(series: pd.Series, margin: float) -> tuple[float, float] | None:
    values = series.dropna()
    if values.empty:
        return None
    low, high = float(values.min()), float(values.max())
    pad = margin * ((high - low) or abs(high) or 1.0)
    low, high = low - pad, high + pad
    if pd.api.types.is_integer_dtype(series):
        low, high = math.floor(low), math.ceil(high)
    return low, high


def profile_expectations(
    df: pd.DataFrame,
    *,
    target: str | None = None,
    margin: float = 0.1,
    null_margin: float = 0.05,
    row_margin: float = 0.5,
    max_categories: int = 20,
) -> list[dict[str, Any]]:
    """Expectations describing accepted reference data, for comparing later extracts with it.

    Args:
        df: The accepted data.
        target: Target column: no nulls, and its value set when it has few values.
        margin: Numeric ranges are widened by this share of their span on each side.
        null_margin: A column may have this much more null share than in the reference.
        row_margin: The row count may differ by this share of the reference's.
        max_categories: Non-numeric (and target) columns with at most this many values get a value set.

    Returns:
        GX expectation configurations: row-count range, exact column set, and per column its
        type family, numeric range or value set, and null share.
    """
    n = len(df)
    out = [
        _expect(
            "expect_table_row_count_to_be_between",
            min_value=max(1, math.floor(n * (1 - row_margin))),
            max_value=math.ceil(n * (1 + row_margin)),
        ),
        _expect("expect_table_columns_to_match_set", column_set=list(map(str, df.columns)), exact_match=True),
    ]
    for name in df.columns:
        col, series = str(name), df[name]
        types = _type_list(series)
        if types is not None:
            out.append(_expect("expect_column_values_to_be_in_type_list", column=col, type_list=types))
        distinct = series.dropna().unique()
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        few = len(distinct) <= max_categories
        if (col == target and few) or (not numeric and few and len(distinct)):
            values = sorted((json_value(v) for v in distinct), key=lambda v: (str(type(v)), v))
            out.append(_expect("expect_column_values_to_be_in_set", column=col, value_set=values))
        elif numeric and (bounds := _numeric_range(series, margin)) is not None:
            out.append(_expect("expect_column_values_to_be_between", column=col, min_value=bounds[0], max_value=bounds[1]))
        null_share = float(series.isna().mean()) if n else 0.0
        mostly = 1.0 if col == target else round(max(0.0, 1.0 - null_share - null_margin), 6)
        if mostly > 0:
            out.append(_expect("expect_column_values_to_not_be_null", column=col, mostly=mostly))
    return out
