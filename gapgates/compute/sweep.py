"""Capacity sweeps: the values of one estimator parameter, and the regime each value is in.

A sweep measures the gap (:func:`gapgates.compute.crossval.gap`) once per value of one parameter,
on the same folds; :mod:`gapgates.pipeline.sweep` runs it. This module holds what needs no run:

* :func:`parse_sweep` reads ``--sweep PARAM=V1,V2,...``, ``PARAM=1..30`` (integers, both ends
  included) and ``PARAM=1e-4..1e2:13`` (13 values evenly spaced in log scale, both ends included,
  rounded to 6 significant digits so the value printed is the value measured).
* :func:`capacity_increases` says whether a larger value of a known parameter means a more
  flexible model (``max_depth``, ``C``) or a less flexible one (``min_samples_leaf``, ``alpha``).
* :func:`label_regimes` labels each value classical, critical or modern.

The regime rule, on the primary metric's mean train and test scores, in order of capacity:

1. The **interpolation threshold** ``i*`` is the first value whose train score is at its maximum
   over the sweep (within ``tolerance`` × the range of the train scores).
2. The **critical** point ``c`` is the value with the lowest test score among ``i* − 1``, ``i*``
   and ``i* + 1`` (the test score's local minimum around the threshold). Every value from
   ``min(i*, c)`` to ``max(i*, c)`` is **critical**.
3. Values before that are **classical** (the gap grows with capacity).
4. A value after it is **modern** when its train score is still at its maximum and its test score
   is above the critical test score by more than ``tolerance`` × the range of the test scores and
   by more than the critical test score's standard error across folds, when given (the second
   descent of the error, not fold noise). One that interpolates without that recovery is critical
   (past the threshold, no second descent); one whose train score fell below the maximum is classical.

Values with a non-finite train or test score get no regime (None).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gapgates.errors import ConfigError, brief

__all__ = [
    "DEFAULT_SWEEPS",
    "MAX_SWEEP_VALUES",
    "Regime",
    "SweepSpec",
    "capacity_increases",
    "capacity_order",
    "default_sweep",
    "format_value",
    "label_regimes",
    "parse_sweep",
]

#: Most values one ``--sweep`` may list or generate (the fit ceiling usually stops a sweep far sooner).
MAX_SWEEP_VALUES = 1000

#: Parameters whose larger values make a model less flexible (the rest are taken to add capacity).
CAPACITY_DECREASING = frozenset(
    {
        "alpha",
        "ccp_alpha",
        "l2_regularization",
        "min_child_samples",
        "min_child_weight",
        "min_impurity_decrease",
        "min_samples_leaf",
        "min_samples_split",
        "min_weight_fraction_leaf",
        "n_neighbors",
        "reg_alpha",
        "reg_lambda",
    }
)

#: The sweep ``gapgates check --recommend`` runs, by estimator class name (the first match wins; a
#: parameter the estimator does not have skips the row): ``(class-name fragment, parameter, values)``.
DEFAULT_SWEEPS: tuple[tuple[str, str, str], ...] = (
    ("HistGradientBoosting", "max_iter", "10,25,50,100,200,400"),
    ("GradientBoosting", "n_estimators", "10,25,50,100,200,400"),
    ("XGB", "n_estimators", "10,25,50,100,200,400"),  # XGBClassifier, XGBRegressor
    ("LGBM", "n_estimators", "10,25,50,100,200,400"),  # LGBMClassifier, LGBMRegressor
    ("CatBoost", "iterations", "10,25,50,100,200,400"),  # its get_params() lists only what was set
    ("Tree", "max_depth", "1..12"),  # DecisionTree*, ExtraTree*
    ("Forest", "max_depth", "1..12"),  # RandomForest*
    ("KNeighbors", "n_neighbors", "1,3,5,9,15,25,35,51"),
    ("", "C", "1e-3..1e3:13"),  # LogisticRegression, SVC, LinearSVC...
    ("", "alpha", "1e-4..1e2:13"),  # Ridge, Lasso, SGD, MLP...
)

_USAGE = "Use --sweep PARAM=V1,V2,..., PARAM=1..30 (integers) or PARAM=1e-4..1e2:13 (a log range of 13 values)."


class Regime(str, enum.Enum):
    """Where a value sits on the capacity curve."""

    CLASSICAL = "classical"
    CRITICAL = "critical"
    MODERN = "modern"


@dataclass(frozen=True)
class SweepSpec:
    """The parameter a sweep varies and its values, in the order given.

    Attributes:
        param: Estimator parameter name (``max_depth``; ``step__name`` for a pipeline step).
        values: The values, parsed as ``--param`` parses them (numbers, booleans, ``none``, text).
    """

    param: str
    values: tuple[Any, ...]


def _parse_value(param: str, text: str) -> Any:
    from gapgates.data.model import parse_params

    return parse_params([f"{param}={text.strip()}"])[param]


def _number(text: str, what: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"The --sweep range needs a number {what}. Got {brief(text, 60)!r} in {spec!r}. {_USAGE}") from None
    if not math.isfinite(value):
        raise ConfigError(f"The --sweep range needs a finite number {what}. Got {text!r}. {_USAGE}")
    return value


def _range(param: str, body: str, spec: str) -> tuple[Any, ...]:
    """The values of ``a..b`` (integers) or ``a..b:n`` (a log range of n values)."""
    low_text, _, rest = body.partition("..")
    high_text, colon, count_text = rest.partition(":")
    low, high = _number(low_text, "before '..'", spec), _number(high_text, "after '..'", spec)
    if not colon:
        if not (low.is_integer() and high.is_integer()) or "." in low_text + high_text or "e" in (low_text + high_text).lower():
            raise ConfigError(
                f"An integer range needs whole numbers, as in max_depth=1..30. Got {spec!r}. "
                f"For a continuous parameter give a log range such as {param}=1e-4..1e2:13."
            )
        if high < low:
            raise ConfigError(f"The --sweep range must go up (low..high). Got {spec!r}; write {param}={int(high)}..{int(low)}.")
        count = int(high) - int(low) + 1
        if count > MAX_SWEEP_VALUES:
            raise ConfigError(
                f"The --sweep range {spec!r} has {count:,} values, more than {MAX_SWEEP_VALUES}. "
                "Narrow the range or list the values."
            )
        return tuple(range(int(low), int(high) + 1))
    if not count_text.strip().isdigit() or not 2 <= int(count_text) <= MAX_SWEEP_VALUES:
        raise ConfigError(
            f"A log range needs a count of values from 2 to {MAX_SWEEP_VALUES} after ':', as in "
            f"C=1e-4..1e2:13. Got {count_text.strip()!r} in {spec!r}."
        )
    if not 0 < low < high:
        raise ConfigError(f"A log range needs 0 < low < high, as in C=1e-4..1e2:13. Got {spec!r}.")
    points = np.logspace(math.log10(low), math.log10(high), int(count_text))
    return tuple(float(f"{p:.6g}") for p in points)


def parse_sweep(text: str) -> SweepSpec:
    """Parse one ``--sweep`` option.

    Args:
        text: ``PARAM=V1,V2,...``, ``PARAM=LOW..HIGH`` (integers) or ``PARAM=LOW..HIGH:N`` (log range).

    Returns:
        The parameter and its values.

    Raises:
        ConfigError: If the text has none of these shapes, a range is empty or too long, or a value repeats.

    Example:
        >>> parse_sweep("max_depth=1..4").values
        (1, 2, 3, 4)
        >>> parse_sweep("C=1e-2..1e2:5").values
        (0.01, 0.1, 1.0, 10.0, 100.0)
        >>> parse_sweep("criterion=gini,entropy").values
        ('gini', 'entropy')
    """
    param, sep, body = text.partition("=")
    param, body = param.strip(), body.strip()
    if not sep or not param or not body:
        raise ConfigError(f"A --sweep must name a parameter and its values. Got {brief(text, 80)!r}. {_USAGE}")
    if ".." in body and "," not in body:
        values = _range(param, body, text)
    else:
        items = [item for item in body.split(",")]
        if any(not item.strip() for item in items):
            raise ConfigError(f"A --sweep list has an empty value. Got {brief(text, 80)!r}. {_USAGE}")
        if len(items) > MAX_SWEEP_VALUES:
            raise ConfigError(f"A --sweep may list at most {MAX_SWEEP_VALUES} values. Got {len(items):,}.")
        values = tuple(_parse_value(param, item) for item in items)
    seen: list[Any] = []
    for value in values:
        if any(type(value) is type(s) and value == s for s in seen):
            raise ConfigError(f"The --sweep lists {param}={format_value(value)} twice. List each value once.")
        seen.append(value)
    return SweepSpec(param=param, values=values)


def default_sweep(estimator: Any) -> SweepSpec | None:
    """The default capacity sweep for a known kind of estimator (:data:`DEFAULT_SWEEPS`), or None.

    Args:
        estimator: An unfitted estimator (not a pipeline: pass its last step).

    Returns:
        The parameter and values to sweep.

    Example:
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> default_sweep(DecisionTreeClassifier()).param
        'max_depth'
    """
    from gapgates.data.model import accepted_params

    name = type(estimator).__name__
    try:
        params, _ = accepted_params(estimator)  # the constructor's names too (CatBoost's get_params() is empty)
    except Exception:  # not a scikit-learn estimator: no default
        return None
    for fragment, param, values in DEFAULT_SWEEPS:
        if fragment in name and param in params:
            return parse_sweep(f"{param}={values}")
    return None


def format_value(value: Any) -> str:
    """A value as ``--param`` reads it back (``none``, ``true``, ``0.001``, ``gini``).

    Example:
        >>> [format_value(v) for v in (None, True, 3, 0.001, "gini")]
        ['none', 'true', '3', '0.001', 'gini']
    """
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def capacity_increases(param: str) -> bool:
    """Whether larger values of ``param`` make the model more flexible (a pipeline step's prefix is ignored).

    Example:
        >>> capacity_increases("max_depth"), capacity_increases("model__min_samples_leaf")
        (True, False)
    """
    return param.rsplit("__", 1)[-1] not in CAPACITY_DECREASING


def _capacity_key(value: Any) -> tuple[int, float]:
    """Numbers by size; None (no limit: ``max_depth=None``) above every number."""
    if value is None:
        return (1, 0.0)
    return (0, float(value))


def capacity_order(param: str, values: Sequence[Any]) -> list[int]:
    """Positions of ``values`` from the least to the most flexible model.

    Numeric values (and None, read as "no limit", the most flexible for a parameter whose larger
    values add capacity) are sorted; any other value keeps the order given.

    Example:
        >>> capacity_order("max_depth", [4, None, 2]), capacity_order("min_samples_leaf", [1, 10, 5])
        ([2, 0, 1], [1, 2, 0])
    """
    numeric = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values)
    if not numeric:
        return list(range(len(values)))
    order = sorted(range(len(values)), key=lambda i: _capacity_key(values[i]))
    if not capacity_increases(param):
        order.reverse()
    return order


def label_regimes(
    train: Sequence[float], test: Sequence[float], *, test_se: Sequence[float] | None = None, tolerance: float = 0.01
) -> tuple[Regime | None, ...]:
    """Label each value of a sweep classical, critical or modern (the rule is in the module docstring).

    Args:
        train: Mean train score of each value, in order of capacity (least flexible first).
        test: Mean test score of each value, in the same order (higher is better, as sklearn scores are).
        test_se: Standard error of each mean test score across folds: a recovery smaller than the
            critical value's is fold noise, not a second descent (None: not used).
        tolerance: Share of the range of the train (test) scores within which two scores are equal.

    Returns:
        One regime per value; None for a value whose scores are not finite.

    Raises:
        ConfigError: If the sequences differ in length or ``tolerance`` is not in [0, 1).

    Example:
        >>> [r.value for r in label_regimes([0.6, 0.8, 1.0, 1.0, 1.0], [0.6, 0.5, 0.1, 0.4, 0.7])]
        ['classical', 'classical', 'critical', 'modern', 'modern']
    """
    if len(train) != len(test) or (test_se is not None and len(test_se) != len(test)):
        raise ConfigError(
            f"label_regimes needs one train and one test score (and standard error) per value. Got "
            f"{len(train)}, {len(test)} and {'none' if test_se is None else len(test_se)}."
        )
    if not 0 <= tolerance < 1:
        raise ConfigError(f"The regime tolerance must be a number in [0, 1). Got {tolerance!r}.")
    tr, te = np.asarray(train, dtype=float), np.asarray(test, dtype=float)
    labels: list[Regime | None] = [None] * len(tr)
    kept = np.flatnonzero(np.isfinite(tr) & np.isfinite(te))
    if kept.size == 0:
        return tuple(labels)
    t, s = tr[kept], te[kept]
    at_max = t >= t.max() - tolerance * (t.max() - t.min())
    threshold = int(np.argmax(at_max))
    window = range(max(0, threshold - 1), min(len(s), threshold + 2))
    critical = min(window, key=lambda i: (s[i], i))
    first, last = min(threshold, critical), max(threshold, critical)
    noise = 0.0
    if test_se is not None and math.isfinite(float(test_se[kept[critical]])):
        noise = float(test_se[kept[critical]])
    recovered = s > s[critical] + max(tolerance * (s.max() - s.min()), noise)
    for k, position in enumerate(kept):
        if k < first:
            labels[position] = Regime.CLASSICAL
        elif k <= last:
            labels[position] = Regime.CRITICAL
        elif not at_max[k]:
            labels[position] = Regime.CLASSICAL
        else:
            labels[position] = Regime.MODERN if recovered[k] else Regime.CRITICAL
    return tuple(labels)
