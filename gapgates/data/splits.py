"""Choosing cross-validation folds and the optional holdout split.

Folds are materialised once, as ``(train_rows, test_rows)`` arrays of row
positions, so every later step (the gap pass, the dummy baseline, the
noise-adjusted gap, the champion) scores on exactly the same rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gapgates.errors import ConfigError, DataError, fix

__all__ = ["Splits", "holdout_split", "make_splits", "repeat_splits"]

Splits = list[tuple[np.ndarray, np.ndarray]]


def _check_fold_count(n_splits: int, n_rows: int) -> None:
    if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
        raise ConfigError(f"The number of folds must be an integer of at least 2. Got {n_splits!r}.")
    if n_splits > n_rows:
        raise ConfigError(
            f"The number of folds ({n_splits}) exceeds the number of rows ({n_rows}). "
            f"{fix('Use fewer --folds', 'Lower {folds}')}."
        )


def make_splits(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    classification: bool,
    n_splits: int = 5,
    n_repeats: int = 1,
    seed: int = 0,
    groups: pd.Series | None = None,
    time: pd.Series | None = None,
    cv: Any = None,
) -> Splits:
    """Build the folds once.

    The default is ``StratifiedKFold`` (classification) or ``KFold`` (regression),
    shuffled with ``seed``, repeated with ``RepeatedStratifiedKFold``/``RepeatedKFold``
    when ``n_repeats > 1``. With ``groups`` it is ``GroupKFold`` (no group in two
    folds); with ``time`` it is ``TimeSeriesSplit`` over rows sorted by time (always
    train on the past, test on the future).

    Args:
        X: Features (only its length is used by the default splitters).
        y: Target, for stratification.
        classification: Whether to stratify.
        n_splits: Folds per repeat, at least 2.
        n_repeats: Repeats of k-fold (not with groups or time).
        seed: Shuffling seed.
        groups: Group labels.
        time: Time values.
        cv: Any scikit-learn splitter to use instead (``split(X, y, groups)``).

    Returns:
        A list of ``(train_rows, test_rows)`` arrays.

    Raises:
        ConfigError: If the fold count is impossible for the data.
        DataError: If there are fewer groups than folds.
    """
    from sklearn import model_selection as ms

    n_rows = len(X)
    if cv is not None:
        return [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y, groups)]
    _check_fold_count(n_splits, n_rows)
    if n_repeats < 1:
        raise ConfigError(f"The number of repeats must be at least 1. Got {n_repeats}.")
    if (groups is not None or time is not None) and n_repeats > 1:
        raise ConfigError(
            f"Repeated k-fold cannot be combined with a group or time column. {fix('Use --repeats 1', 'Set {repeats}=1')}."
        )
    if groups is not None:
        n_groups = groups.nunique()
        if n_groups < n_splits:
            raise DataError(
                f"The group column has {n_groups} groups, fewer than the {n_splits} folds. "
                f"{fix('Use fewer --folds', 'Lower {folds}')}."
            )
        return [(tr, te) for tr, te in ms.GroupKFold(n_splits=n_splits).split(X, y, groups)]
    if time is not None:
        order = np.argsort(time.to_numpy(), kind="stable")
        splitter = ms.TimeSeriesSplit(n_splits=n_splits)
        return [(np.sort(order[tr]), np.sort(order[te])) for tr, te in splitter.split(order)]
    if classification:
        splitter = (
            ms.RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
            if n_repeats > 1
            else ms.StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        )
    else:
        splitter = (
            ms.RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
            if n_repeats > 1
            else ms.KFold(n_splits=n_splits, shuffle=True, random_state=seed)
        )
    return list(splitter.split(X, y))


def repeat_splits(X: pd.DataFrame, y: pd.Series, *, classification: bool, n_splits: int, seed: int, repeat: int) -> Splits:
    """The folds of one repeat of repeated k-fold: the next repeat to fit when more are added.

    Repeat ``repeat`` (0-based) is the last repeat of ``make_splits(n_repeats=repeat + 1)``:
    ``RepeatedStratifiedKFold``/``RepeatedKFold`` draw every repeat's shuffle from one random
    stream seeded with ``seed``, and repeat 0 is the single shuffled k-fold of ``n_repeats=1``.
    So a run that adds repeats one at a time fits exactly the folds of ``--repeats r``, and every
    repeat has a fresh shuffle that no other seed's first repeat shares.

    Args:
        X: Features (only its length is used).
        y: Target, for stratification.
        classification: Whether to stratify.
        n_splits: Folds per repeat.
        seed: The run's seed.
        repeat: Which repeat, from 0.

    Returns:
        The ``n_splits`` ``(train_rows, test_rows)`` folds of that repeat.

    Example:
        >>> X, y = pd.DataFrame({"x": range(10)}), pd.Series([0, 1] * 5)
        >>> second = repeat_splits(X, y, classification=True, n_splits=2, seed=0, repeat=1)
        >>> all_two = make_splits(X, y, classification=True, n_splits=2, n_repeats=2, seed=0)
        >>> all(np.array_equal(a[1], b[1]) for a, b in zip(second, all_two[2:]))
        True
    """
    if repeat < 0:
        raise ConfigError(f"The repeat must be an integer of at least 0. Got {repeat!r}.")
    folds = make_splits(X, y, classification=classification, n_splits=n_splits, n_repeats=repeat + 1, seed=seed)
    return folds[repeat * n_splits :]


def holdout_split(
    n_rows: int,
    fraction: float,
    *,
    y: pd.Series | None = None,
    groups: pd.Series | None = None,
    time: pd.Series | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Set aside an untouched holdout: stratified by ``y``, whole groups, or the latest rows.

    Args:
        n_rows: Number of rows.
        fraction: Share of rows in the holdout, in (0, 1).
        y: Target to stratify on (classification), or None.
        groups: Keep each group on one side.
        time: Hold out the most recent rows.
        seed: Shuffling seed.

    Returns:
        ``(train_rows, holdout_rows)``, sorted row positions.

    Raises:
        ConfigError: If the fraction is not in (0, 1).
    """
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"The holdout fraction must be a number strictly between 0 and 1. Got {fraction!r}.")
    rows = np.arange(n_rows)
    if time is not None:
        order = np.argsort(time.to_numpy(), kind="stable")
        cut = n_rows - max(1, round(n_rows * fraction))
        return np.sort(order[:cut]), np.sort(order[cut:])
    if groups is not None:
        splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        train, hold = next(splitter.split(rows, groups=groups))
        return np.sort(train), np.sort(hold)
    try:
        train, hold = train_test_split(rows, test_size=fraction, random_state=seed, stratify=y)
    except ValueError as err:
        raise DataError(
            f"Cannot take a stratified holdout of {fraction:g}: {str(err).rstrip('.')}. Use a --holdout-fraction that "
            "leaves every class rows on both sides (e.g. 0.2), or a --holdout file."
        ) from None
    return np.sort(train), np.sort(hold)
