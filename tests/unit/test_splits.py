import numpy as np
import pandas as pd
import pytest

from gapgates.data.splits import holdout_split, make_splits
from gapgates.errors import ConfigError, DataError


def frame(n=100):
    return pd.DataFrame({"a": np.arange(n)}), pd.Series(np.arange(n) % 2)


@pytest.mark.parametrize("k", [1, 0, -3])
def test_fewer_than_two_folds(k):
    X, y = frame()
    with pytest.raises(ConfigError, match=r"at least 2"):
        make_splits(X, y, classification=True, n_splits=k)


def test_more_folds_than_rows():
    X, y = frame(6)
    with pytest.raises(ConfigError, match=r"folds \(10\) exceeds the number of rows \(6\)"):
        make_splits(X, y, classification=False, n_splits=10)


def test_fewer_groups_than_folds():
    X, y = frame()
    with pytest.raises(DataError, match=r"3 groups, fewer than the 5 folds"):
        make_splits(X, y, classification=True, n_splits=5, groups=pd.Series(np.arange(100) % 3))


def test_repeats_with_groups_refused():
    X, y = frame()
    with pytest.raises(ConfigError, match=r"Repeated k-fold cannot be combined"):
        make_splits(X, y, classification=True, n_repeats=2, groups=pd.Series(np.arange(100) % 10))


def test_stratified_folds_keep_class_balance():
    X = pd.DataFrame({"a": np.arange(100)})
    y = pd.Series([1] * 20 + [0] * 80)
    for _, test in make_splits(X, y, classification=True, n_splits=5):
        assert y.iloc[test].sum() == 4


def test_holdout_split_stratified_grouped_and_by_time():
    y = pd.Series([1] * 30 + [0] * 70)
    train, hold = holdout_split(100, 0.2, y=y, seed=0)
    assert len(hold) == 20 and y.iloc[hold].sum() == 6
    assert not set(train) & set(hold) and len(train) + len(hold) == 100
    groups = pd.Series(np.arange(100) // 10)
    train, hold = holdout_split(100, 0.3, groups=groups, seed=0)
    assert not set(groups.iloc[train]) & set(groups.iloc[hold])
    time = pd.Series(np.arange(100)[::-1])
    train, hold = holdout_split(100, 0.25, time=time)
    assert time.iloc[hold].min() > time.iloc[train].max()


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5, -0.1])
def test_holdout_fraction_range(fraction):
    with pytest.raises(ConfigError, match=r"strictly between 0 and 1"):
        holdout_split(100, fraction)
