"""The production model's fresh scores and their intervals (gapgates.compute.production)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score

from gapgates.compute.production import ProductionScore, bootstrap_interval, score_fresh, wilson_interval


def test_wilson_matches_its_formula_and_stays_inside_0_1():
    low, high = wilson_interval(45, 50, confidence=0.9)
    z, p, n = stats.norm.ppf(0.95), 0.9, 50
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (low, high) == pytest.approx((centre - half, centre + half))
    assert wilson_interval(0, 20)[0] == 0.0 and 0 < wilson_interval(0, 20)[1] < 0.2  # not the empty Wald interval
    assert wilson_interval(20, 20)[1] == 1.0 and 0.8 < wilson_interval(20, 20)[0] < 1
    wide, narrow = wilson_interval(80, 100), wilson_interval(800, 1000)
    assert wide[1] - wide[0] > 2.5 * (narrow[1] - narrow[0])


def test_bootstrap_is_seeded_covers_the_estimate_and_skips_undefined_resamples():
    values = np.random.default_rng(0).normal(1.0, 1.0, 300)
    first = bootstrap_interval(lambda rows: values[rows].mean(), 300, seed=3, resamples=300)
    assert first == bootstrap_interval(lambda rows: values[rows].mean(), 300, seed=3, resamples=300)
    assert first[0] < values.mean() < first[1] and first[1] - first[0] == pytest.approx(2 * 1.96 / math.sqrt(300), rel=0.25)

    def undefined(rows):
        raise ValueError("one class only")

    assert all(math.isnan(v) for v in bootstrap_interval(undefined, 50, resamples=20))


def test_score_fresh_scores_as_sklearn_does_and_calls_the_model_once_per_method(iris):
    X, y = iris
    keep = y < 2
    X, y = X[keep].reset_index(drop=True), y[keep].reset_index(drop=True)
    model = LogisticRegression(max_iter=500).fit(X.iloc[::2], y.iloc[::2])
    calls = []

    class Counting:  # the model, counting its calls
        classes_ = model.classes_

        def __sklearn_tags__(self):
            return model.__sklearn_tags__()

        def predict(self, X):
            calls.append("predict")
            return model.predict(X)

        def predict_proba(self, X):
            calls.append("predict_proba")
            return model.predict_proba(X)

    fresh_X, fresh_y = X.iloc[1::2], y.iloc[1::2]
    scores = score_fresh(
        Counting(), fresh_X, fresh_y, metrics=["accuracy", "roc_auc"], promoted={"accuracy": 0.99, "roc_auc": None}, resamples=200
    )
    acc, auc = scores
    assert acc.fresh == pytest.approx(accuracy_score(fresh_y, model.predict(fresh_X))) and acc.method == "wilson"
    assert auc.fresh == pytest.approx(roc_auc_score(fresh_y, model.predict_proba(fresh_X)[:, 1]))
    assert auc.method == "bootstrap" and auc.low <= auc.fresh <= auc.high
    assert sorted(calls) == ["predict", "predict_proba"]  # 200 resamples, no extra prediction
    assert acc.gap == pytest.approx(0.99 - acc.fresh) and acc.gap_interval == pytest.approx((0.99 - acc.high, 0.99 - acc.low))
    assert auc.gap is None and auc.to_dict()["gap_mean"] is None


def test_the_gap_entry_has_the_keys_the_history_reads():
    entry = ProductionScore("r2", 0.5, 0.4, 0.6, "bootstrap", promoted=0.7).to_dict()
    assert entry["gap_mean"] == pytest.approx(0.2) and (entry["gap_ci_low"], entry["gap_ci_high"]) == pytest.approx((0.1, 0.3))
    assert pd.Series(entry).notna().all()


def test_a_guarded_regressor_is_scored_with_bootstrap_intervals_on_every_metric():
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_absolute_error, r2_score

    from gapgates.data.guard import GuardedModel

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = pd.Series(2 * X["a"] - X["b"] + rng.normal(0, 0.5, 300))
    model = Ridge().fit(X.iloc[:200], y.iloc[:200])
    guarded = GuardedModel(model, name="ridge", label="the production model")
    r2, mae = score_fresh(
        guarded,
        X.iloc[200:],
        y.iloc[200:],
        metrics=["r2", "neg_mean_absolute_error"],
        promoted={"r2": 0.95, "neg_mean_absolute_error": -0.3},
        resamples=200,
        seed=1,
    )
    assert r2.fresh == pytest.approx(r2_score(y.iloc[200:], model.predict(X.iloc[200:])))
    assert mae.fresh == pytest.approx(-mean_absolute_error(y.iloc[200:], model.predict(X.iloc[200:])))
    assert {r2.method, mae.method} == {"bootstrap"} and r2.low < r2.fresh < r2.high and mae.low < mae.fresh < mae.high
    assert mae.gap == pytest.approx(-0.3 - mae.fresh)  # greater is better for neg_* too: positive gap means worse


def test_a_batch_missing_a_class_is_scored_with_the_models_labels_or_is_undefined_not_an_error(iris):
    from sklearn.metrics import log_loss

    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    two = y < 2  # a fresh batch without class 2
    loss, ovr, f1 = score_fresh(
        model, X[two], y[two], metrics=["neg_log_loss", "roc_auc_ovr", "f1_macro"], promoted={"neg_log_loss": -0.1}, resamples=100
    )
    assert loss.fresh == pytest.approx(-log_loss(y[two], model.predict_proba(X[two]), labels=model.classes_))
    assert loss.method == "bootstrap" and loss.low <= loss.fresh <= loss.high
    assert ovr.method == "undefined" and math.isnan(ovr.fresh) and ovr.to_dict()["fresh"] is None
    assert f1.method == "bootstrap" and math.isfinite(f1.fresh)  # threshold metrics keep their own label set
    binary = LogisticRegression(max_iter=500).fit(X, y == 0)
    (auc,) = score_fresh(binary, X[y == 0], y[y == 0] == 0, metrics=["roc_auc"], promoted={"roc_auc": 0.99}, resamples=50)
    assert auc.method == "undefined" and auc.gap is not None and math.isnan(auc.gap)


def test_a_large_batch_bootstraps_bounded_resamples_with_the_full_batchs_width():
    values = np.random.default_rng(1).normal(0.0, 1.0, 40_000)
    sizes = []

    def mean(rows):
        sizes.append(len(rows))
        return values[rows].mean()

    low, high = bootstrap_interval(mean, len(values), seed=0, resamples=200, max_rows=4_000)
    assert set(sizes) == {4_000}  # each resample draws the cap, not the batch
    assert high - low == pytest.approx(2 * 1.96 / math.sqrt(len(values)), rel=0.2)  # rescaled to n, not m
    assert low < values.mean() < high
