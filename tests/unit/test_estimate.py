"""The label-free estimators (gapgates.compute.estimate): CBPE and DLE against realised scores, the stored reference."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from gapgates.compute import estimate as estimate_module
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
    assert list(ref.table.columns) == ["a", LABEL_COLUMN, "proba.0", "proba.1"] and text.startswith("a,")
    assert ref.features == ["a"] and ref.table["a"].tolist() == sorted(ref.table["a"]) and ref.table["a"].min() >= 10
    assert len(ref.sha256) == 64 and ref.metadata()["classes"] == '["no", "yes"]'
    no_proba = SimpleNamespace(oof_proba=None, classes=None, covered=np.ones(100, bool), oof_pred=None)
    assert estimate_reference(no_proba, pd.DataFrame({"a": range(100)}), y, target="y", classification=True) is None


def _region_reference(n: int = 4000, seed: int = 7) -> tuple[EstimateReference, np.random.Generator]:
    """A model that says 0.9 everywhere: right 90 % of the time where x < 0.5, 50 % where x ≥ 0.5 (confidently
    wrong there); the stored rows carry the feature x and a noise column."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=n)
    right = rng.uniform(size=n) < np.where(x < 0.5, 0.9, 0.5)
    y = np.where(right, 1, 0)  # the model always predicts class 1 with probability 0.9
    table = pd.DataFrame({"x": x, "kind": rng.choice(["a", "b"], n), LABEL_COLUMN: y, "proba.0": 0.1, "proba.1": 0.9})
    return EstimateReference("classification", table, "y", (0, 1), n, n, ""), rng


def test_the_features_find_a_region_where_the_model_is_confidently_wrong():
    """Fresh rows from x ≥ 0.5, where the model is right half the time with the confidence it has everywhere: the
    confidence alone expects the stored rows' 0.7; the correctness model on the features expects the realised 0.5."""
    ref, rng = _region_reference()
    fresh = pd.DataFrame({"x": rng.uniform(0.5, 1.0, size=2000), "kind": rng.choice(["a", "b"], 2000)})
    realised = float(np.mean(rng.uniform(size=2000) < 0.5))
    proba = np.tile([0.1, 0.9], (2000, 1))
    with_features = estimate_classifier(ref, proba, features=fresh, metrics=["accuracy"], promoted={}, draws=40).primary
    confidence_only = estimate_classifier(ref, proba, metrics=["accuracy"], promoted={}, draws=40).primary
    assert with_features.estimate == pytest.approx(realised, abs=0.03)
    assert with_features.low <= realised <= with_features.high
    assert confidence_only.estimate == pytest.approx(0.7, abs=0.03) and not confidence_only.low <= realised
    unshifted = pd.DataFrame({"x": rng.uniform(size=2000), "kind": rng.choice(["a", "b"], 2000)})
    both = estimate_classifier(ref, proba, features=unshifted, metrics=["accuracy"], promoted={}, draws=40).primary
    assert both.estimate == pytest.approx(0.7, abs=0.03)  # where the rows are like the stored ones, the same answer


def test_without_every_stored_feature_or_enough_wrong_answers_the_confidence_alone_decides():
    ref, rng = _region_reference()
    proba = np.tile([0.1, 0.9], (1000, 1))
    confidence_only = estimate_classifier(ref, proba, metrics=["accuracy"], promoted={}, draws=20, seed=3).primary
    lacking = pd.DataFrame({"x": rng.uniform(0.5, 1.0, size=1000)})  # no "kind"
    fallback = estimate_classifier(ref, proba, features=lacking, metrics=["accuracy"], promoted={}, draws=20, seed=3)
    assert fallback.primary == confidence_only
    few = EstimateReference("classification", ref.table.iloc[:150], "y", (0, 1), 150, 150, "")  # under 200 rows
    fresh = pd.DataFrame({"x": rng.uniform(0.5, 1.0, size=1000), "kind": "a"})
    alone = estimate_classifier(few, proba, metrics=["accuracy"], promoted={}, draws=20, seed=3).primary
    assert estimate_classifier(few, proba, features=fresh, metrics=["accuracy"], promoted={}, draws=20, seed=3).primary == alone


def test_a_feature_named_like_an_output_column_keeps_the_outputs_alone():
    rng = np.random.default_rng(8)
    proba = rng.dirichlet([1, 1], size=60)
    cv = SimpleNamespace(oof_proba=proba, classes=np.array([0, 1]), covered=np.ones(60, bool), oof_pred=None)
    X = pd.DataFrame({"proba.0": rng.normal(size=60), "b": range(60)})
    ref, _ = estimate_reference(cv, X, pd.Series(rng.choice([0, 1], 60)), target="y", classification=True)
    assert list(ref.table.columns) == [LABEL_COLUMN, "proba.0", "proba.1"] and ref.features == []


def test_a_reference_with_too_few_wrong_answers_or_a_failing_fit_falls_back_to_the_confidence():
    ref, rng = _region_reference()
    proba = np.tile([0.1, 0.9], (1000, 1))
    fresh = pd.DataFrame({"x": rng.uniform(0.5, 1.0, size=1000), "kind": rng.choice(["a", "b"], 1000)})

    def both(reference: EstimateReference, X: pd.DataFrame) -> tuple[object, object]:
        kw = {"metrics": ["accuracy"], "promoted": {}, "draws": 20, "seed": 3}
        return estimate_classifier(reference, proba, features=X, **kw), estimate_classifier(reference, proba, **kw)

    table = ref.table.copy()
    table[LABEL_COLUMN] = 1  # every stored answer right but 10: nothing to learn where the model errs
    table.loc[:9, LABEL_COLUMN] = 0
    with_x, alone = both(EstimateReference("classification", table, "y", (0, 1), 4000, 4000, ""), fresh)
    assert with_x.primary == alone.primary and with_x.features == () and alone.features == ()
    empty = ref.table.assign(gone=np.nan)  # a stored feature without a value is left out, the others kept
    with_x, _ = both(EstimateReference("classification", empty, "y", (0, 1), 4000, 4000, ""), fresh.assign(gone=1.0))
    assert with_x.features == ("x", "kind") and with_x.primary.estimate == pytest.approx(0.5, abs=0.04)


def test_a_feature_whose_fresh_values_leave_the_stored_range_is_left_out():
    """A row id the model was trained on: every fresh id is past the stored ones. The correctness model reads x and
    kind only, and still finds the weak region."""
    ref, rng = _region_reference()
    table = ref.table.assign(row_id=np.arange(4000))
    ref = EstimateReference("classification", table, "y", (0, 1), 4000, 4000, "")
    fresh = pd.DataFrame(
        {"x": rng.uniform(0.5, 1.0, 2000), "kind": rng.choice(["a", "b"], 2000), "row_id": np.arange(4000, 6000)}
    )
    assert not estimate_module._learnable(table["row_id"], fresh["row_id"])
    assert estimate_module._learnable(table["x"], fresh["x"]) and estimate_module._learnable(table["kind"], fresh["kind"])
    est = estimate_classifier(ref, np.tile([0.1, 0.9], (2000, 1)), features=fresh, metrics=["accuracy"], promoted={}, draws=20)
    assert est.primary.estimate == pytest.approx(0.5, abs=0.04)
    assert est.features == ("x", "kind")  # the report names the features the model read, not every stored one


@pytest.mark.parametrize("stored", ["1", "1.0"])
def test_a_text_column_of_numbers_read_back_as_floats_still_matches_the_stored_categories(stored):
    """The stored rows' text column mixes ``"1"`` (or ``"1.0"``, a float written among text) and ``"x"`` (read back
    as text); a fresh batch holding only the ones was parsed as floats (``1.0``). The correctness model still sees
    the category where the model is confidently wrong, instead of a missing value."""
    rng = np.random.default_rng(5)
    n = 4000
    kind = rng.choice([stored, "x"], n)
    right = rng.uniform(size=n) < np.where(kind == "x", 0.9, 0.5)
    table = pd.DataFrame(
        {"kind": kind, "noise": rng.normal(size=n), LABEL_COLUMN: right.astype(int), "proba.0": 0.1, "proba.1": 0.9}
    )
    ref = EstimateReference("classification", table, "y", (0, 1), n, n, "")
    fresh = pd.DataFrame({"kind": np.ones(2000), "noise": rng.normal(size=2000)})
    assert fresh["kind"].dtype == float
    est = estimate_classifier(ref, np.tile([0.1, 0.9], (2000, 1)), features=fresh, metrics=["accuracy"], promoted={}, draws=20)
    assert est.features == ("kind", "noise") and est.primary.estimate == pytest.approx(0.5, abs=0.04)


def test_a_wide_table_is_estimated_without_a_fragmentation_warning():
    """150 stored features: the correctness model's frame is built at once (pandas warns when a frame grows a
    column at a time past 100)."""
    import warnings

    ref, rng = _region_reference(1000)
    wide = {f"w{i}": rng.normal(size=1000) for i in range(150)}
    ref = EstimateReference("classification", pd.concat([ref.table, pd.DataFrame(wide)], axis=1), "y", (0, 1), 1000, 1000, "")
    fresh = pd.DataFrame({"x": rng.uniform(size=300), "kind": "a", **{k: rng.normal(size=300) for k in wide}})
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        est = estimate_classifier(ref, np.tile([0.1, 0.9], (300, 1)), features=fresh, metrics=["accuracy"], promoted={}, draws=5)
    assert len(est.features) == 152


def test_a_table_too_wide_for_the_reference_keeps_the_outputs_alone(monkeypatch):
    rng = np.random.default_rng(9)
    proba = rng.dirichlet([1, 1], size=300)
    cv = SimpleNamespace(oof_proba=proba, classes=np.array([0, 1]), covered=np.ones(300, bool), oof_pred=None)
    X = pd.DataFrame(rng.normal(size=(300, 20)), columns=[f"c{i}" for i in range(20)])
    y = pd.Series(rng.choice([0, 1], 300))
    ref, _ = estimate_reference(cv, X, y, target="y", classification=True)
    assert ref.features == list(X.columns)
    monkeypatch.setattr(estimate_module, "MAX_REFERENCE_BYTES", 4 * 50_000)  # the 300 x 20 floats are ~110 kB of CSV
    narrow, text = estimate_reference(cv, X, y, target="y", classification=True)
    assert narrow.features == [] and text.startswith(LABEL_COLUMN)
