"""How the model errs, in whole gate runs: calibration judged on both sides, curves and matrices from sklearn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def logistic_csv(tmp_path_factory):
    """Labels drawn from a logistic model of two columns, each copied four times with a little noise:
    logistic regression is calibrated on it; naive Bayes counts the copies as independent evidence."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(600, 2))
    y = (rng.random(600) < 1 / (1 + np.exp(-(1.5 * base[:, 0] + base[:, 1])))).astype(int)
    X = np.column_stack([base] + [base + rng.normal(scale=0.05, size=(600, 2)) for _ in range(4)])
    path = tmp_path_factory.mktemp("calibration") / "logistic.csv"
    pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(label=y).to_csv(path, index=False)
    return path


def judged(data, model, policy):
    from gapgates.config import make_config
    from gapgates.judge.policy import parse_policy
    from gapgates.pipeline.definition import run_check

    config = make_config({"data": data, "target": "label", "model": model, "folds": 3})
    return run_check(config, policy=parse_policy(policy))


POLICY = {"calibration": {"max_ece": 0.1}, "noise": {"max_rate": 1.0, "max_confident_error_ratio": 100}}


def _ece_check(result):
    return next(c for c in result.decision.checks if c.name == "calibration:ece")


def test_naive_bayes_on_copied_features_breaches_max_ece(logistic_csv):
    result = judged(logistic_csv, "sklearn.naive_bayes.GaussianNB", POLICY)
    check = _ece_check(result)
    assert check.status.value == "fail" and check.value > 0.1
    assert result.decision.outcome.value == "block"


def test_logistic_regression_is_calibrated_and_passes(logistic_csv):
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import confusion_matrix, roc_auc_score

    result = judged(logistic_csv, "sklearn.linear_model.LogisticRegression", POLICY)
    check = _ece_check(result)
    assert check.status.value == "pass" and check.value < 0.1
    cls, cv = result.evidence.classification, result.evidence.gap.cv
    y = pd.read_csv(logistic_csv)["label"].to_numpy()
    # the evidence is sklearn's, on the out-of-fold predictions the gap pass kept
    assert np.array_equal(np.array(cls.confusion), confusion_matrix(y, cv.oof_pred))
    assert cls.curves[0]["roc"]["auc"] == pytest.approx(roc_auc_score(y, cv.oof_proba[:, 1]), abs=1e-6)
    observed, _ = calibration_curve(y, cv.oof_proba[:, 1], n_bins=10)
    assert cls.reliability["observed"] == pytest.approx(list(observed), abs=1e-6)
    assert cls.per_class["1"]["support"] == int(y.sum())


def test_multiclass_curves_are_one_vs_rest_and_ece_is_top_label(tmp_path):
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True).frame.rename(columns={"target": "label"})
    iris.to_csv(tmp_path / "iris.csv", index=False)
    result = judged(
        tmp_path / "iris.csv", "sklearn.naive_bayes.GaussianNB", {"noise": {"max_rate": 1.0, "max_confident_error_ratio": 100}}
    )
    cls = result.evidence.classification
    assert [c["label"] for c in cls.curves] == ["0", "1", "2"]
    assert cls.reliability["of"] == "top label" and 0 <= cls.ece < 0.5
    assert np.array(cls.confusion).sum() == 150
    assert not [c for c in result.decision.checks if c.name == "calibration:ece"]  # off by default


def test_regressor_gets_residuals_and_error_by_target_quantile(tmp_path):
    from sklearn.datasets import make_regression

    X, y = make_regression(300, 4, noise=5.0, random_state=0)
    pd.DataFrame(X, columns=list("abcd")).assign(label=y).to_csv(tmp_path / "reg.csv", index=False)
    result = judged(tmp_path / "reg.csv", "sklearn.linear_model.Ridge", {})
    reg = result.evidence.regression
    assert result.evidence.classification is None
    assert len(reg.by_quantile) == 10 and sum(b["rows"] for b in reg.by_quantile) == 300
    residual = y - result.evidence.gap.cv.oof_pred
    assert np.mean([b["mae"] for b in reg.by_quantile]) == pytest.approx(np.abs(residual).mean(), rel=0.05)
    assert result.evidence.segments.metric == "neg_mean_absolute_error"
