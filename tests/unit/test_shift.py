"""Adversarial validation between training rows and holdout rows, and the shift check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from gapgates.compute.shift import ShiftResult, adversarial_validation
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
def table() -> pd.DataFrame:
    X, _ = make_classification(1200, 6, n_informative=4, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    frame["city"] = np.random.default_rng(0).choice(["a", "b", "c"], size=len(frame))
    return frame


def shift_check(result: ShiftResult | None, max_auc: float = 0.75):
    policy = Policy.model_validate({"shift": {"max_auc": max_auc}})
    return next(c for c in evaluate(policy, Evidence(shift=result)).checks if c.name == "shift")


def test_same_distribution_is_indistinguishable(table):
    rows = np.random.default_rng(1).permutation(len(table))
    result = adversarial_validation(table.iloc[rows[:900]], table.iloc[rows[900:]])
    assert 0.35 < result.auc < 0.65
    assert shift_check(result).status is Status.PASS
    assert result.rows == len(table)


def test_other_region_is_told_apart_and_names_the_column(table):
    far = table["x2"] > table["x2"].quantile(0.75)
    result = adversarial_validation(table[~far], table[far])
    assert result.auc > 0.95
    assert result.top_features[0][0] == "x2" and result.top_features[0][1] > 0.95
    check = shift_check(result)
    assert check.status is Status.FAIL and check.value == pytest.approx(result.auc)
    assert shift_check(result, max_auc=1.0).status is Status.PASS  # both sides of the limit


def test_categorical_shift_is_found(table):
    hold = table["city"] == "c"
    result = adversarial_validation(table[~hold], table[hold])
    assert result.top_features[0][0] == "city" and result.auc > 0.95


def test_holdout_column_order_does_not_matter(table):
    result = adversarial_validation(table.iloc[:600], table.iloc[600:, ::-1])
    assert result.auc < 0.65


def test_rows_are_capped(table):
    result = adversarial_validation(table.iloc[:800], table.iloc[800:], max_rows=500)
    assert result.rows == 500


def test_no_holdout_skips_the_check():
    check = shift_check(None)
    assert check.status is Status.SKIPPED and "no holdout" in check.message


def test_warn_severity_only_warns(table):
    far = table["x2"] > table["x2"].quantile(0.75)
    result = adversarial_validation(table[~far], table[far])
    policy = Policy.model_validate({"shift": {"max_auc": {"limit": 0.75, "severity": "warn"}}})
    check = next(c for c in evaluate(policy, Evidence(shift=result)).checks if c.name == "shift")
    assert check.status is Status.WARN


def test_report_form(table):
    result = adversarial_validation(table.iloc[:600], table.iloc[600:], top=3)
    data = result.to_dict()
    assert set(data) == {"auc", "top_features", "rows", "seconds"}
    assert len(data["top_features"]) == 3 and {"feature", "auc"} == set(data["top_features"][0])


def test_above_max_rows_each_side_is_sampled_on_its_own_and_a_small_side_is_kept_whole():
    import numpy as np
    import pandas as pd

    from gapgates.compute.shift import adversarial_validation

    rng = np.random.default_rng(0)
    small = pd.DataFrame({"x": rng.normal(0, 1, 300)})
    large = pd.DataFrame({"x": rng.normal(1, 1, 50_000)})
    result = adversarial_validation(small, large, max_rows=2_000)
    assert result.rows == 2_000 and result.auc > 0.65  # all 300 small-side rows, not about 12 of a uniform draw
    balanced = adversarial_validation(large.iloc[:5_000], large.iloc[5_000:], max_rows=2_000)
    assert balanced.rows == 2_000 and 0.4 < balanced.auc < 0.6
