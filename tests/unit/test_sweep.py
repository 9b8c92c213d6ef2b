"""gapgates/compute/sweep.py: --sweep parsing, capacity order, regimes (with a constructed double-descent case)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from gapgates.compute.crossval import gap
from gapgates.compute.sweep import (
    Regime,
    capacity_increases,
    capacity_order,
    format_value,
    label_regimes,
    parse_sweep,
)
from gapgates.data.splits import make_splits
from gapgates.errors import ConfigError
from tests.helpers import MinNormLeastSquares, double_descent_data

C, R, M = Regime.CLASSICAL, Regime.CRITICAL, Regime.MODERN


def test_a_list_an_integer_range_and_a_log_range():
    assert parse_sweep("max_depth=2,none,8").values == (2, None, 8)
    assert parse_sweep("criterion=gini,entropy").values == ("gini", "entropy")
    spec = parse_sweep(" min_samples_leaf = 1..5 ")
    assert (spec.param, spec.values) == ("min_samples_leaf", (1, 2, 3, 4, 5))
    log = parse_sweep("C=1e-4..1e2:13").values
    assert len(log) == 13 and log[0] == 1e-4 and log[-1] == 100.0 and log[1] == 0.000316228
    assert all(b / a == pytest.approx(10**0.5, rel=1e-5) for a, b in itertools.pairwise(log))
    assert parse_sweep("max_depth=3..3").values == (3,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_depth", "must name a parameter"),
        ("=1,2", "must name a parameter"),
        ("max_depth=", "must name a parameter"),
        ("max_depth=1,,3", "empty value"),
        ("max_depth=1.5..4", "whole numbers"),
        ("max_depth=1e1..30", "whole numbers"),
        ("max_depth=9..2", r"must go up .*max_depth=2\.\.9"),
        ("max_depth=a..3", "needs a number before"),
        ("max_depth=1..inf", "finite number"),
        ("max_depth=1..100000", "more than 1000"),
        ("C=1e-4..1e2:1", "count of values from 2"),
        ("C=1e-4..1e2:x", "count of values from 2"),
        ("C=0..1e2:5", "0 < low < high"),
        ("C=1..0.1:5", "0 < low < high"),
        ("max_depth=3,4,3", "lists max_depth=3 twice"),
    ],
)
def test_malformed_sweeps_are_one_line_config_errors(text, message):
    with pytest.raises(ConfigError, match=message) as err:
        parse_sweep(text)
    assert "\n" not in str(err.value)


def test_values_print_as_param_reads_them_back():
    from gapgates.data.model import parse_params

    for value in (None, True, 3, 0.000316228, 1e-4, "gini"):
        assert parse_params([f"p={format_value(value)}"])["p"] == value


def test_capacity_order_follows_the_parameter():
    assert capacity_increases("max_depth") and capacity_increases("C")
    assert not capacity_increases("min_samples_leaf") and not capacity_increases("clf__alpha")
    assert capacity_order("max_depth", [8, None, 2]) == [2, 0, 1]  # None: no limit, the most flexible
    assert capacity_order("alpha", [0.1, 10.0, 1.0]) == [1, 2, 0]  # more alpha, less capacity
    assert capacity_order("criterion", ["gini", "entropy"]) == [0, 1]  # no order: as given


def test_regimes_in_order_classical_critical_modern():
    train = [0.60, 0.80, 0.95, 1.00, 1.00, 1.00]
    test = [0.60, 0.65, 0.40, 0.10, 0.50, 0.70]
    assert label_regimes(train, test) == (C, C, C, R, M, M)


def test_critical_spans_the_threshold_and_the_test_minimum_beside_it():
    # train reaches its maximum at index 2, the test minimum is one later: both are critical
    assert label_regimes([0.5, 0.9, 1.0, 1.0, 1.0], [0.5, 0.4, 0.3, 0.1, 0.6]) == (C, C, R, R, M)
    # the minimum one before the threshold: it is critical too
    assert label_regimes([0.5, 0.9, 1.0, 1.0], [0.5, 0.1, 0.3, 0.6]) == (C, R, R, M)


def test_interpolating_without_a_second_descent_stays_critical():
    # an unbounded tree: past the threshold train stays at 1 and test does not recover
    assert label_regimes([0.7, 0.9, 1.0, 1.0, 1.0], [0.70, 0.65, 0.60, 0.60, 0.60]) == (C, C, R, R, R)


def test_the_tolerance_decides_what_counts_as_recovery():
    train, test = [0.5, 1.0, 1.0], [0.5, 0.0, 0.004]
    assert label_regimes(train, test, tolerance=0.01)[2] is R  # 0.004 above the minimum: within 1 % of the range
    assert label_regimes(train, test, tolerance=0.001)[2] is M


def test_a_recovery_within_the_fold_noise_is_not_a_second_descent():
    train, test = [0.9, 1.0, 1.0], [0.90, 0.80, 0.85]
    assert label_regimes(train, test)[2] is M
    assert label_regimes(train, test, test_se=[0.01, 0.06, 0.01])[2] is R  # 0.05 up, the critical SE is 0.06
    assert label_regimes(train, test, test_se=[0.01, 0.04, 0.01])[2] is M


def test_non_finite_scores_get_no_regime():
    assert label_regimes([0.5, math.nan, 1.0, 1.0], [0.5, 0.2, 0.1, 0.6]) == (C, None, R, M)
    assert label_regimes([math.nan], [math.nan]) == (None,)
    assert label_regimes([], []) == ()


def test_label_regimes_refuses_mismatched_input():
    with pytest.raises(ConfigError, match=r"one train and one test score \(and standard error\) per value\. Got 2, 1 and none"):
        label_regimes([0.1, 0.2], [0.1])
    with pytest.raises(ConfigError, match=r"Got 1, 1 and 2\."):
        label_regimes([0.1], [0.1], test_se=[0.1, 0.2])
    with pytest.raises(ConfigError, match=r"tolerance must be a number in \[0, 1\)\. Got 1\.5"):
        label_regimes([0.1], [0.1], tolerance=1.5)


def test_minimum_norm_least_squares_shows_the_three_regimes_in_order():
    """Double descent: 80 training rows per fold; the features used grow from 5 to 300 on the same folds."""
    data = double_descent_data()
    X, y = data.drop(columns="y"), data["y"]
    folds = make_splits(X, y, classification=False, n_splits=5, seed=0)
    features = [5, 10, 20, 40, 60, 76, 80, 84, 100, 120, 160, 200, 300]
    gaps = [gap(MinNormLeastSquares(n_features=p), X, y, splits=folds, scoring=["r2"]).primary for p in features]
    train, test = [g.train_mean for g in gaps], [g.test_mean for g in gaps]
    regimes = label_regimes(train, test, test_se=[np.std(g.test, ddof=1) / np.sqrt(5) for g in gaps])

    threshold = features.index(80)  # n_features = training rows: the model interpolates from here on
    assert all(t < 0.999 for t in train[:threshold]) and all(t > 0.999999 for t in train[threshold:])
    assert regimes == (C,) * threshold + (R,) + (M,) * (len(features) - threshold - 1)
    assert test[threshold] == min(test)  # the peak of the test error is at the threshold
    assert max(test[threshold + 1 :]) > max(test[:threshold])  # the second descent beats the classical optimum


def test_default_sweeps_of_known_estimators():
    from sklearn import ensemble, linear_model, neighbors, tree

    from gapgates.compute.sweep import default_sweep

    expected = {
        tree.DecisionTreeClassifier(): ("max_depth", 1, 12),
        ensemble.RandomForestRegressor(): ("max_depth", 1, 12),
        ensemble.HistGradientBoostingClassifier(): ("max_iter", 10, 400),
        linear_model.LogisticRegression(): ("C", 0.001, 1000.0),
        linear_model.Ridge(): ("alpha", 1e-4, 100.0),
        neighbors.KNeighborsClassifier(): ("n_neighbors", 1, 51),
    }
    for estimator, (param, low, high) in expected.items():
        spec = default_sweep(estimator)
        assert (spec.param, spec.values[0], spec.values[-1]) == (param, low, high), estimator
    assert default_sweep(linear_model.LinearRegression()) is None  # nothing to tune: no default
    assert default_sweep(object()) is None


def test_the_default_sweep_of_a_pipeline_names_its_last_step():
    from gapgates.config import make_config
    from gapgates.pipeline.sweep import default_spec

    config = make_config({"data": "d.csv", "target": "y", "model": "gapgates.demo.scaled_logistic_regression"})
    assert default_spec(config).param == "logisticregression__C"
