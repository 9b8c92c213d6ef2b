"""Unit: the Nadeau–Bengio interval over J = k × r folds, the next repeat's folds, and joining passes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import load_iris, make_regression
from sklearn.linear_model import LinearRegression
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from gapgates.compute.crossval import gap, merge_gaps, summarize_folds
from gapgates.compute.intervals import corrected_interval
from gapgates.data.splits import make_splits, repeat_splits
from gapgates.errors import ConfigError


@pytest.fixture
def iris():
    return load_iris(return_X_y=True, as_frame=True)


def test_the_interval_over_k_times_r_folds_is_bouckaert_franks_corrected_t():
    rng = np.random.default_rng(0)
    k, r, n_train, n_test = 5, 3, 400.0, 100.0
    d = rng.normal(0.03, 0.01, size=k * r)
    low, high = corrected_interval(d, n_train=n_train, n_test=n_test, confidence=0.95)
    J = k * r
    half = stats.t.ppf(0.975, df=J - 1) * math.sqrt((1 / J + n_test / n_train) * d.var(ddof=1))
    assert (low, high) == pytest.approx((d.mean() - half, d.mean() + half))


def test_more_repeats_narrow_the_interval_towards_the_floor_the_test_train_ratio_sets():
    # the same per-fold spread s, more folds: (1/J + n_test/n_train) falls to n_test/n_train, never below
    d5 = np.array([0.02, 0.04, 0.03, 0.01, 0.05])
    widths = [np.subtract(*corrected_interval(np.tile(d5, r), n_train=4, n_test=1)[::-1]) for r in (1, 2, 5, 20)]
    assert widths[0] > widths[1] > widths[2] > widths[3]
    floor = 2 * 1.96 * math.sqrt(0.25) * np.tile(d5, 20).std(ddof=1)
    assert widths[3] > floor and widths[3] < 1.1 * floor


@pytest.mark.parametrize("classification", [True, False])
def test_repeat_r_is_the_last_repeat_of_r_plus_one_repeated_kfold(iris, classification):
    X, y = iris
    all_three = make_splits(X, y, classification=classification, n_splits=5, n_repeats=3, seed=4)
    one = make_splits(X, y, classification=classification, n_splits=5, n_repeats=1, seed=4)
    for repeat, expected in enumerate([one, all_three[5:10], all_three[10:]]):
        got = repeat_splits(X, y, classification=classification, n_splits=5, seed=4, repeat=repeat)
        assert len(got) == 5
        for (tr, te), (etr, ete) in zip(got, expected, strict=True):
            np.testing.assert_array_equal(tr, etr)
            np.testing.assert_array_equal(te, ete)
    second = repeat_splits(X, y, classification=classification, n_splits=5, seed=4, repeat=1)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(one, second))  # a fresh shuffle


def test_a_negative_repeat_is_refused(iris):
    X, y = iris
    with pytest.raises(ConfigError, match=r"The repeat must be an integer of at least 0\. Got -1\."):
        repeat_splits(X, y, classification=True, n_splits=5, seed=0, repeat=-1)


def test_joining_two_passes_equals_one_pass_over_all_their_folds(iris):
    X, y = iris
    tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    folds = make_splits(X, y, classification=True, n_splits=5, n_repeats=2, seed=3)
    whole = gap(tree, X, y, scoring=["accuracy", "neg_log_loss"], splits=folds)
    joined = merge_gaps(
        gap(tree, X, y, scoring=["accuracy", "neg_log_loss"], splits=folds[:5]),
        gap(tree, X, y, scoring=["accuracy", "neg_log_loss"], splits=folds[5:]),
    )
    for name, g in whole.metrics.items():
        j = joined.metrics[name]
        assert j.train == g.train and j.test == g.test
        assert (j.gap_ci_low, j.gap_ci_high) == pytest.approx((g.gap_ci_low, g.gap_ci_high), abs=1e-15)
    assert joined.n_folds == 10 and len(joined.cv.estimators) == 10
    np.testing.assert_allclose(joined.cv.oof_proba, whole.cv.oof_proba, atol=1e-12)
    np.testing.assert_array_equal(joined.cv.oof_pred, whole.cv.oof_pred)
    assert joined.cv.fit_seconds > 0


def test_joining_passes_without_probabilities_keeps_the_later_labels():
    X, y = make_regression(n_samples=80, n_features=3, noise=3.0, random_state=0)
    X, y = pd.DataFrame(X), pd.Series(y)
    folds = make_splits(X, y, classification=False, n_splits=4, n_repeats=2, seed=0)
    whole = gap(LinearRegression(), X, y, splits=folds)
    joined = merge_gaps(gap(LinearRegression(), X, y, splits=folds[:4]), gap(LinearRegression(), X, y, splits=folds[4:]))
    assert joined.cv.oof_proba is None and joined.primary.test == whole.primary.test
    np.testing.assert_array_equal(joined.cv.oof_pred, whole.cv.oof_pred)


def test_joining_a_classifier_without_predict_proba_keeps_labels(iris):
    X, y = iris
    folds = make_splits(X, y, classification=True, n_splits=3, n_repeats=2, seed=1)
    whole = gap(SVC(), X, y, splits=folds)
    joined = merge_gaps(gap(SVC(), X, y, splits=folds[:3]), gap(SVC(), X, y, splits=folds[3:]))
    assert joined.cv.oof_proba is None
    np.testing.assert_array_equal(joined.cv.oof_pred, whole.cv.oof_pred)


def test_passes_with_other_metrics_cannot_be_joined(iris):
    X, y = iris
    tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    a = gap(tree, X, y, scoring=["accuracy"], n_splits=3)
    b = gap(tree, X, y, scoring=["balanced_accuracy"], n_splits=3)
    with pytest.raises(ValueError, match=r"Only passes with the same metrics, task and confidence can be merged"):
        merge_gaps(a, b)


def test_summarize_folds_uses_the_average_fold_sizes():
    splits = [(np.arange(8), np.arange(8, 10)), (np.arange(6), np.arange(6, 10))]
    g = summarize_folds(splits, {"m": [1.0, 0.9]}, {"m": [0.9, 0.7]})["m"]
    expected = corrected_interval([0.1, 0.2], n_train=7.0, n_test=3.0)
    assert (g.gap_ci_low, g.gap_ci_high) == pytest.approx(expected)
