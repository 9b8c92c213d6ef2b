"""The label-free estimators (gapgates.compute.estimate): CBPE and DLE against realised scores, the stored reference."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from gapgates.compute.estimate import (
    LABEL_COLUMN,
    PREDICTION_COLUMN,
    EstimateReference,
    _expected_auc,
    estimate_classifier,
    estimate_reference,
    estimate_regressor,
)

pytestmark = pytest.mark.usefixtures("one_native_thread")


def _calibrated_reference(n: int = 4000, seed: int = 0) -> EstimateReference:
    """Out-of-fold probabilities that are calibrated by construction: y ~ Bernoulli(p)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n)
    y = (rng.uniform(size=n) < p).astype(int)
    table = pd.DataFrame({LABEL_COLUMN: y, "proba.0": 1 - p, "proba.1": p})
    return EstimateReference("classification", table, "y", (0, 1), n, n, "")


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (0.35, 0.65), (0.8, 1.0)])
def test_cbpe_matches_the_realised_scores_of_a_calibrated_model_under_covariate_shift(low, high):
    """Fresh probabilities from another range (a covariate shift), labels drawn from them: the expected accuracy,
    ROC AUC and log loss are the realised ones within tolerance, and the interval holds the realised accuracy."""
    rng = np.random.default_rng(1)
    p = rng.uniform(low, high, size=3000)
    y = (rng.uniform(size=len(p)) < p).astype(int)
    est = estimate_classifier(
        _calibrated_reference(),
        np.c_[1 - p, p],
        metrics=["accuracy", "roc_auc", "neg_log_loss"],
        promoted={"accuracy": 0.75},
        seed=0,
        draws=40,
    )
    scores = {s.metric: s for s in est.scores}
    realised = {
        "accuracy": float(((p > 0.5).astype(int) == y).mean()),
        "roc_auc": float(roc_auc_score(y, p)),
        "neg_log_loss": -float(log_loss(y, np.c_[1 - p, p])),
    }
    assert list(scores) == ["accuracy", "roc_auc", "neg_log_loss"] and est.method == "cbpe"
    for metric, value in realised.items():
        assert scores[metric].estimate == pytest.approx(value, abs=0.03), metric
    acc = scores["accuracy"]
    assert acc.low <= realised["accuracy"] <= acc.high and acc.low < acc.estimate < acc.high
    assert acc.promoted == 0.75 and acc.reference == "promotion" and acc.gap == pytest.approx(0.75 - acc.estimate)
    assert scores["roc_auc"].reference == "out_of_fold"  # not recorded at promotion: the stored rows' score
    assert est.ece is not None and est.ece < 0.05  # calibrated by construction


def test_cbpe_recalibrates_an_overconfident_model():
    """The model says 0.95 where it is right 70 % of the time: the estimate follows the out-of-fold truth, not the
    model's confidence."""
    rng = np.random.default_rng(2)
    n = 3000
    said = np.full(n, 0.95)
    y = (rng.uniform(size=n) < 0.7).astype(int)
    table = pd.DataFrame({LABEL_COLUMN: y, "proba.0": 1 - said, "proba.1": said})
    ref = EstimateReference("classification", table, "y", (0, 1), n, n, "")
    est = estimate_classifier(ref, np.c_[1 - said[:1000], said[:1000]], metrics=["accuracy"], promoted={}, draws=50)
    assert est.primary.estimate == pytest.approx(0.7, abs=0.03)
    assert est.ece == pytest.approx(0.25, abs=0.03)  # what [monitor] max_estimate_ece warns about


def test_cbpe_estimates_only_accuracy_for_a_multiclass_model():
    rng = np.random.default_rng(3)
    proba = rng.dirichlet([1, 1, 1], size=2000)
    y = np.array([rng.choice(3, p=row) for row in proba])
    table = pd.DataFrame(proba, columns=["proba.0", "proba.1", "proba.2"])
    table.insert(0, LABEL_COLUMN, y)
    ref = EstimateReference("classification", table, "y", ("a", "b", "c"), 2000, 2000, "")
    fresh = rng.dirichlet([4, 1, 1], size=1500)
    realised = np.mean([rng.choice(3, p=row) == row.argmax() for row in fresh])
    est = estimate_classifier(ref, fresh, metrics=["accuracy", "roc_auc_ovr", "neg_log_loss"], promoted={}, draws=50)
    assert [s.metric for s in est.scores] == ["accuracy"]
    assert est.primary.estimate == pytest.approx(realised, abs=0.03)


def test_the_expected_auc_is_the_auc_when_the_labels_are_certain():
    rng = np.random.default_rng(4)
    score = rng.uniform(size=500)
    y = (rng.uniform(size=500) < score).astype(float)
    assert _expected_auc(y, score) == pytest.approx(roc_auc_score(y, score))
    tied = np.round(score, 1)  # ties count a half, as roc_auc_score
    assert _expected_auc(y, tied) == pytest.approx(roc_auc_score(y, tied))


def test_dle_follows_a_shift_into_the_region_where_the_errors_are_larger():
    """y = x0 + noise whose spread grows with |x0|; the model predicts x0. A batch from large |x0| has a larger MAE,
    and the loss model says so within 10 %."""
    rng = np.random.default_rng(5)

    def rows(x0: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        X = pd.DataFrame({"x0": x0, "x1": rng.normal(size=len(x0)), "kind": rng.choice(["a", "b"], len(x0))})
        return X, x0 + rng.normal(size=len(x0)) * (0.2 + np.abs(x0))

    X, y = rows(rng.normal(size=4000))
    table = X.copy()
    table["y"], table[PREDICTION_COLUMN] = y, X["x0"].to_numpy()
    ref = EstimateReference("regression", table, "y", None, 4000, 4000, "")
    for centre in (0.0, 1.5):
        Xf, yf = rows(rng.normal(centre, 0.5, size=2000))
        est = estimate_regressor(
            ref, Xf, Xf["x0"].to_numpy(), metrics=["neg_root_mean_squared_error"], promoted={}, seed=0, draws=40
        )
        mae, rmse = est.scores
        realised = float(np.mean(np.abs(yf - Xf["x0"])))
        assert (mae.metric, rmse.metric, est.method) == ("neg_mean_absolute_error", "neg_root_mean_squared_error", "dle")
        assert -mae.estimate == pytest.approx(realised, rel=0.1)
        assert -rmse.estimate == pytest.approx(float(np.sqrt(np.mean((yf - Xf["x0"]) ** 2))), rel=0.15)
        assert mae.low <= mae.estimate <= mae.high
        assert mae.reference == "out_of_fold" and mae.promoted == pytest.approx(-np.mean(np.abs(y - X["x0"])))


def test_the_reference_keeps_tested_rows_only_bounded_and_checksummed():
    rng = np.random.default_rng(6)
    proba = rng.dirichlet([1, 1], size=100)
    proba[:10] = np.nan  # never tested (TimeSeriesSplit)
    y = pd.Series(rng.choice(["no", "yes"], 100))
    cv = SimpleNamespace(oof_proba=proba, classes=np.array(["no", "yes"]), covered=np.ones(100, bool), oof_pred=None)
    ref, text = estimate_reference(cv, pd.DataFrame({"a": range(100)}), y, target="y", classification=True, max_rows=50)
    assert ref.rows == 50 and ref.of_rows == 90 and ref.classes == ("no", "yes")
    assert list(ref.table.columns) == [LABEL_COLUMN, "proba.0", "proba.1"] and text.startswith(LABEL_COLUMN)
    assert len(ref.sha256) == 64 and ref.metadata()["classes"] == '["no", "yes"]'
    no_proba = SimpleNamespace(oof_proba=None, classes=None, covered=np.ones(100, bool), oof_pred=None)
    assert estimate_reference(no_proba, pd.DataFrame({"a": range(100)}), y, target="y", classification=True) is None
