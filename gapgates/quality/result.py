"""The result of the data-quality gate: one outcome per expectation, as frozen dataclasses.

Nothing here imports Great Expectations; :mod:`gapgates.quality.gx` fills these from GX's
validation results, and reports and the judge step read them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ExpectationOutcome", "QualityResult"]


def _plain(value: Any) -> Any:
    """A GX result value as plain JSON (NaN → None, numpy → Python)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return None if pd.isna(value) else str(value)


def _said(value: Any) -> str:
    """A GX value in a message as a person writes it: numbers plain, to 6 decimals (``1964.661111``, never
    ``np.float64(1964.6611111)``),
    text quoted, lists and mappings of those.

    Example:
        >>> _said({"min_value": np.float64(1964.6611111), "values": [np.int64(1), "a"]})
        "{min_value: 1964.661111, values: [1, 'a']}"
    """
    value = _plain(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_said, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_said(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return repr(round(value, 6))
    return repr(value)


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation run on one table.

    Attributes:
        expectation: GX expectation type, e.g. ``expect_column_values_to_not_be_null``.
        column: The column it is about, or None for table expectations.
        success: Whether the expectation held.
        critical: Whether its GX severity is ``critical`` (a failure may block).
        observed: GX's observed value, or the share of unexpected values.
        details: Expected arguments, unexpected counts, a few example values, errors.
        dataset: ``data`` or ``holdout``.
        rule: The built-in rule it implements (``min_rows``, ``target_labels``...), or None.
    """

    expectation: str
    column: str | None
    success: bool
    critical: bool
    observed: Any
    details: dict[str, Any] = field(default_factory=dict)
    dataset: str = "data"
    rule: str | None = None

    @property
    def name(self) -> str:
        """Check name: ``quality[:holdout]:<expectation>[:<column>][:<rule>]``."""
        parts = ["quality", *(["holdout"] if self.dataset != "data" else []), self.expectation]
        parts += [p for p in (self.column, self.rule if self.rule in _AMBIGUOUS else None) if p]
        return ":".join(parts)

    @property
    def message(self) -> str:
        """One sentence saying what failed and what was seen."""
        where = f"{self.dataset.capitalize()} column '{self.column}'" if self.column else self.dataset.capitalize()
        d = self.details
        if d.get("missing_column"):
            return f"{where}: {self.expectation} failed: the column is not in the table."
        expected = ", ".join(f"{k}={_said(v)}" for k, v in d.get("expected", {}).items())
        seen = f"observed {_said(self.observed)}"
        if "unexpected_count" in d:
            seen = f"{d['unexpected_count']} of {d.get('element_count')} values unexpected"
            if d.get("examples"):
                seen += f" (e.g. {', '.join(map(_said, d['examples']))})"
        if d.get("mismatched"):
            seen = f"mismatched columns {d['mismatched']}"
        if d.get("exception"):
            seen = f"GX raised: {d['exception']}"
        verdict = "held" if self.success else "failed"
        rule = _RULE_TEXT.get(self.rule or "")
        if rule:
            expected = rule.format(**d.get("expected", {}))
        return f"{where}: {self.expectation}({expected}) {verdict}: {seen}."

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in ``report.json``."""
        return {
            "name": self.name,
            "expectation": self.expectation,
            "column": self.column,
            "success": self.success,
            "critical": self.critical,
            "observed": _plain(self.observed),
            "details": _plain(self.details),
            "dataset": self.dataset,
            "rule": self.rule,
        }


_AMBIGUOUS = {"not_all_null", "max_null_fraction", "target_not_null"}
_RULE_TEXT = {
    "not_all_null": "not entirely null",
    "max_null_fraction": "non-null share >= {mostly:.4g}",
    "target_not_null": "target without nulls",
    "min_rows": "at least {min_value} rows",
}


@dataclass(frozen=True)
class QualityResult:
    """Every expectation of the gate on the data (and holdout).

    Attributes:
        results: One outcome per expectation and table.
        suites: Names of the suites that ran.
        rows: Rows validated per table (``{"data": n, "holdout": m}``).
        seconds: Validation time, GX's import excluded.
    """

    results: tuple[ExpectationOutcome, ...] = ()
    suites: tuple[str, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def success(self) -> bool:
        """True when every expectation held."""
        return all(r.success for r in self.results)

    @property
    def critical(self) -> bool:
        """True when a critical expectation failed."""
        return any(r.critical and not r.success for r in self.results)

    @property
    def failures(self) -> tuple[ExpectationOutcome, ...]:
        """The expectations that did not hold."""
        return tuple(r for r in self.results if not r.success)

    def __add__(self, other: QualityResult) -> QualityResult:
        return QualityResult(
            results=self.results + other.results,
            suites=tuple(dict.fromkeys(self.suites + other.suites)),
            rows={**self.rows, **other.rows},
            seconds=self.seconds + other.seconds,
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``quality`` section of ``report.json``."""
        return {
            "success": self.success,
            "critical": self.critical,
            "suites": list(self.suites),
            "rows": dict(self.rows),
            "seconds": round(self.seconds, 3),
            "results": [r.to_dict() for r in self.results],
        }
