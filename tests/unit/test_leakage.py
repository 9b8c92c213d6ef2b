"""Copied holdout rows and target-leaking columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_regression
from threadpoolctl import threadpool_limits

from gapgates.compute.leakage import find_leakage
from gapgates.data.columns import bin_column, eta_squared, uncertainty_coefficient
from gapgates.judge.checks import Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy
from gapgates.judge.rules import evaluate


@pytest.fixture(autouse=True)
def _one_native_thread():
    """OpenMP/BLAS threads oversubscribe a shared 2-core machine (a 0.1 s fit takes 15 s); one per process."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.Series]:
    return load_breast_cancer(return_X_y=True, as_frame=True)


def checks(result, **limits) -> dict[str, object]:
    policy = Policy.model_validate({"leakage": limits} if limits else {})
    return {c.name: c for c in evaluate(policy, Evidence(leakage=result)).checks if c.name.startswith("leakage")}


def test_independent_holdout_has_no_copies(cancer):
    X, y = cancer
    result = find_leakage(X.iloc[:450], y.iloc[:450], X.iloc[450:], classification=True)
    assert result.exact_duplicates == 0 and result.near_duplicates == 0 and result.duplicate_rate == 0.0
    found = checks(result)
    assert found["leakage:duplicates"].status is Status.PASS
    assert found["leakage:feature"].status is Status.PASS and found["leakage:feature"].value < 0.9


def test_exact_and_near_copies_are_counted(cancer):
    X, y = cancer
    train, hold = X.iloc[:450], X.iloc[450:].copy()
    hold.iloc[:10] = train.iloc[:10].to_numpy()  # exact copies
    hold.iloc[10:20] = train.iloc[10:20].to_numpy() * (1 + 1e-6)  # near copies
    result = find_leakage(train, y.iloc[:450], hold, classification=True)
    assert result.exact_duplicates == 10 and result.near_duplicates == 20
    assert result.duplicate_rate == pytest.approx(20 / len(hold))
    assert result.duplicate_rows == tuple(range(450, 470))  # holdout's own row ids
    found = checks(result)
    assert found["leakage:duplicates"].status is Status.FAIL
    assert checks(result, max_duplicate_rate=0.2)["leakage:duplicates"].status is Status.PASS


def test_a_column_copied_from_the_target_leaks(cancer):
    X, y = cancer
    leaky = X.assign(leak=y + np.random.default_rng(0).normal(0, 0.05, len(y)))
    result = find_leakage(leaky, y, None, classification=True)
    assert result.feature_scores[0][0] == "leak" and result.max_feature_score > 0.99
    check = checks(result)["leakage:feature"]
    assert check.status is Status.FAIL and "'leak'" in check.message
    assert checks(result, max_feature_score=1.0)["leakage:feature"].status is Status.PASS


def test_regression_leak_by_correlation_ratio():
    X, y = make_regression(2000, 5, noise=5, random_state=0)
    X = pd.DataFrame(X, columns=list("abcde")).assign(leak=y * 3 + 1)
    result = find_leakage(X, pd.Series(y), None, classification=False)
    assert result.feature_scores[0][0] == "leak" and result.max_feature_score > 0.99
    assert result.feature_scores[1][1] < 0.9


def test_id_like_text_column_does_not_look_like_a_leak(cancer):
    X, y = cancer
    ids = X.assign(customer=[f"id{i}" for i in range(len(X))])
    result = find_leakage(ids, y, None, classification=True)
    assert dict(result.feature_scores)["customer"] < 0.5


def test_no_holdout_skips_duplicates_only(cancer):
    X, y = cancer
    found = checks(find_leakage(X, y, None, classification=True))
    assert found["leakage:duplicates"].status is Status.SKIPPED and "no holdout" in found["leakage:duplicates"].message
    assert found["leakage:feature"].status is Status.PASS
    skipped = checks(None)
    assert all(c.status is Status.SKIPPED for c in skipped.values())


def test_column_scores():
    codes = bin_column(pd.Series([1.0, 2.0, np.nan, 4.0]), max_bins=2)
    assert codes.tolist() == [0, 1, 2, 1]  # missing values get their own code
    assert uncertainty_coefficient(np.array([0, 0, 1, 1]), np.array(["a", "a", "b", "b"])) == pytest.approx(1.0)
    assert uncertainty_coefficient(np.array([0, 1, 0, 1]), np.array(["a", "a", "b", "b"])) == pytest.approx(0.0)
    assert eta_squared(np.array([0, 0, 1, 1]), np.array([1.0, 1.0, 5.0, 5.0])) == pytest.approx(1.0)
    assert eta_squared(np.array([0, 0, 0]), np.array([1.0, 1.0, 1.0])) == 0.0


def test_near_copies_are_sampled_but_exact_ones_all_counted(cancer):
    X, y = cancer
    train, hold = X.iloc[:369], X.iloc[369:].copy()  # 200 holdout rows
    hold.iloc[:100] = train.iloc[:100].to_numpy()  # half the holdout copies training rows exactly
    result = find_leakage(train, y.iloc[:369], hold, classification=True, max_near_rows=60)
    assert result.exact_duplicates == 100 and result.near_checked == 60
    assert 0 < result.near_duplicates < 60
    assert result.duplicate_rate == pytest.approx(max(0.5, result.near_duplicates / 60))
