"""Numbers as people and JSON documents see them: the one home of gapgates' formatting helpers.

Two families, used everywhere a value leaves a computation:

- **text** (reports, the terminal, messages): :func:`fmt` for any value, :func:`score` for a score cell;
- **JSON** (``report.json``, history, registries): :func:`plain` (numpy → Python), :func:`json_number`
  (finite and rounded, else None), :func:`is_number`.

Example:
    >>> fmt(0.123456), fmt(None), score("n/a"), json_number(float("nan")), plain(__import__("numpy").int64(3))
    ('0.1235', '–', '–', None, 3)
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MISSING", "fmt", "is_number", "json_number", "plain", "score"]

#: How a missing or non-finite value reads.
MISSING = "–"


def is_number(value: Any) -> bool:
    """Whether ``value`` is a finite int or float (a bool is not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def fmt(value: Any) -> str:
    """Any value for a report: floats with 4 decimals (4 significant digits from 10,000 up), ``–`` for missing or
    non-finite values, ``yes``/``no`` for booleans, anything else as text.

    Example:
        >>> fmt(12345.678), fmt(True), fmt(3), fmt(float("inf"))
        ('1.235e+04', 'yes', '3', '–')
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.4g}"
    return str(value)


def score(value: Any) -> str:
    """A score cell: a number with 4 decimals, ``–`` for anything that is not a finite number.

    Example:
        >>> score(0.5), score(1), score(None)
        ('0.5000', '1.0000', '–')
    """
    return f"{value:.4f}" if is_number(value) else MISSING


def plain(value: Any, *, deep: bool = False) -> Any:
    """A value as plain JSON: numpy scalars as Python scalars; with ``deep``, also inside mappings and sequences,
    and non-finite floats as None.

    Example:
        >>> import numpy as np
        >>> plain({"a": np.float64("nan"), "b": [np.int64(2)]}, deep=True)
        {'a': None, 'b': [2]}
    """
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    if not deep:
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): plain(v, deep=True) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v, deep=True) for v in value]
    return value


def json_number(value: Any, digits: int = 6) -> float | None:
    """A finite number rounded to ``digits`` decimals for JSON; None for None, NaN or infinity.

    Example:
        >>> json_number(0.12345678), json_number(None)
        (0.123457, None)
    """
    if value is None:
        return None
    number = float(value)
    return round(number, digits) if math.isfinite(number) else None
