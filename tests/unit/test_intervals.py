"""The corrected (Nadeau-Bengio) variance and interval of the fold gaps (simulations: tests/integration)."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from gapgates.compute.intervals import corrected_interval, corrected_variance


def test_corrected_variance_matches_the_nadeau_bengio_formula():
    values = [0.10, 0.14, 0.08, 0.12, 0.11]
    expected = (1 / 5 + 20 / 80) * np.var(values, ddof=1)
    assert corrected_variance(values, n_train=80, n_test=20) == pytest.approx(expected)


def test_corrected_interval_uses_student_t_and_is_wider_than_naive():
    values = [0.10, 0.14, 0.08, 0.12, 0.11]
    low, high = corrected_interval(values, n_train=80, n_test=20, confidence=0.95)
    half = sps.t.ppf(0.975, 4) * math.sqrt((1 / 5 + 0.25) * np.var(values, ddof=1))
    assert (low, high) == pytest.approx((np.mean(values) - half, np.mean(values) + half))
    naive_half = sps.t.ppf(0.975, 4) * np.std(values, ddof=1) / math.sqrt(5)
    assert high - low > 2 * naive_half


def test_interval_needs_two_values():
    assert all(math.isnan(v) for v in corrected_interval([0.1], n_train=10, n_test=5))


def test_higher_confidence_gives_wider_interval():
    values = [0.1, 0.2, 0.15, 0.12]
    w90 = np.subtract(*corrected_interval(values, n_train=30, n_test=10, confidence=0.90)[::-1])
    w99 = np.subtract(*corrected_interval(values, n_train=30, n_test=10, confidence=0.99)[::-1])
    assert w99 > w90


def test_fold_standard_error_is_the_plain_error_of_the_fold_mean_per_column():
    from gapgates.compute.intervals import fold_standard_error

    folds = [[0.80, 0.70], [0.84, 0.70], [0.88, 0.70]]
    se = fold_standard_error(folds)
    assert se.shape == (2,) and se[0] == pytest.approx(0.04 / np.sqrt(3)) and se[1] == pytest.approx(0.0, abs=1e-12)
    assert float(fold_standard_error([0.80, 0.84, 0.88])) == pytest.approx(0.04 / np.sqrt(3))
    assert np.isnan(float(fold_standard_error([0.8])))  # one fold: no spread to measure
    assert np.isnan(fold_standard_error([[0.8, 0.7]])).all()
