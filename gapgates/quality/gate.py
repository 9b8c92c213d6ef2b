"""The data-quality step of a run: which suites run on which table, and the checks they give.

The built-in suite always runs; a ``[quality] suite`` file (a ``gapgates profile``
output or any GX suite JSON) runs as well. A ``--holdout`` file is validated
against the same suites, except row-count expectations (a holdout is smaller by
design; it must still have a row).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from gapgates.judge.checks import Severity
from gapgates.judge.policy import QualityPolicy
from gapgates.quality.expectations import builtin_expectations, profile_expectations
from gapgates.quality.result import QualityResult

__all__ = ["builtin_suite", "check_quality", "profile_suite"]

_ROW_COUNT = ("expect_table_row_count_to_be_between", "expect_table_row_count_to_equal")


def _gx_severity(severity: Severity) -> str:
    return "critical" if severity is Severity.BLOCK else "warning"


def builtin_suite(
    section: QualityPolicy,
    columns: Sequence[str],
    *,
    target: str | None,
    labels: Sequence[Any] | None,
    holdout: bool = False,
) -> Any:
    """The built-in GX suite for the data (``holdout=False``) or the holdout file."""
    from gapgates.quality.gx import make_suite

    rule = section.max_null_fraction
    expectations = builtin_expectations(
        columns,
        target=target,
        labels=labels,
        min_rows=1 if holdout else section.min_rows,
        max_null_fraction=None if rule is None else rule.limit,
        null_severity=_gx_severity(section.severity_of(rule)) if rule is not None else "critical",
        severity=_gx_severity(section.severity),
        exact_columns=holdout,
    )
    return make_suite("gapgates-builtin", expectations)


def _without_row_counts(suite: Any) -> Any:
    from gapgates.quality.gx import make_suite

    kept = [e.configuration.to_json_dict() for e in suite.expectations if e.configuration.type not in _ROW_COUNT]
    return make_suite(suite.name, kept, meta=suite.meta)


def check_quality(
    table: pd.DataFrame,
    *,
    target: str | None,
    section: QualityPolicy,
    columns: Sequence[str] = (),
    holdout: pd.DataFrame | None = None,
    classification: bool = True,
    suite_path: str | Path | None = None,
) -> QualityResult:
    """Validate the data (and a holdout file) with the built-in suite and the policy's suite.

    Args:
        table: The ``--data`` table as loaded.
        target: The target column; None for rows without labels (no target expectation).
        section: The ``[quality]`` policy.
        columns: Columns that must be present besides the table's own (group, time).
        holdout: The ``--holdout`` table, validated against the same suites.
        classification: Whether target values form a label set (for the holdout's labels).
        suite_path: The resolved ``[quality] suite`` file, if any.

    Returns:
        All outcomes, data first.

    Raises:
        ConfigError: If the suite file is missing or not a valid GX suite.
    """
    from gapgates.quality.gx import load_suite, validate_frame

    user = load_suite(suite_path) if suite_path is not None else None
    expected = list(dict.fromkeys([*map(str, table.columns), *columns]))
    labels = section.labels
    result = validate_frame(table, builtin_suite(section, expected, target=target, labels=labels))
    if user is not None:
        result = result + validate_frame(table, user)
    if holdout is not None:
        if labels is None and classification and target is not None and target in table.columns:
            labels = sorted(table[target].dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
        suite = builtin_suite(section, expected, target=target, labels=labels, holdout=True)
        result = result + validate_frame(holdout, suite, dataset="holdout")
        if user is not None:
            result = result + validate_frame(holdout, _without_row_counts(user), dataset="holdout")
    return result


def profile_suite(
    df: pd.DataFrame,
    out: str | Path,
    *,
    target: str | None = None,
    name: str | None = None,
    margin: float = 0.1,
) -> Any:
    """Build a GX suite describing accepted data and save it as GX JSON.

    Args:
        df: The accepted data.
        out: Where to write the suite JSON.
        target: Target column (no nulls, its value set).
        name: Suite name (default: the file name without suffix).
        margin: Numeric ranges are widened by this share of their span.

    Returns:
        The GX ``ExpectationSuite`` written.

    Example:
        >>> import pandas as pd
        >>> suite = profile_suite(pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}), "/tmp/s.json", target="y")
        >>> [e.configuration.type for e in suite.expectations][:2]
        ['expect_table_row_count_to_be_between', 'expect_table_columns_to_match_set']
    """
    from gapgates.quality.gx import make_suite, save_suite

    out = Path(out)
    meta = {"gapgates": {"profiled_rows": len(df), "target": target, "margin": margin}}
    suite = make_suite(name or out.stem, profile_expectations(df, target=target, margin=margin), meta=meta)
    save_suite(suite, out)
    return suite
