"""The training curve (gapgates/compute/training_curve.py): the one-standard-error stopping rule on
constructed curves, both sides of it, and the replay of small boosting fold models (no extra fit)."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from gapgates.compute.crossval import gap
from gapgates.compute.training_curve import TrainingCurve, stopping_point, training_curve

# Two folds; at iteration 3 the mean is 0.84 and the standard error across folds is
# std([0.82, 0.86], ddof=1) / sqrt(2) = 0.02: an iteration is within one standard error from 0.82 up.
INSIDE = [[0.70, 0.835, 0.82], [0.70, 0.815, 0.86]]  # iteration 2: mean 0.825 >= 0.82
OUTSIDE = [[0.70, 0.825, 0.82], [0.70, 0.805, 0.86]]  # iteration 2: mean 0.815 < 0.82


def test_an_earlier_iteration_within_one_standard_error_of_the_best_is_the_stopping_point():
    assert stopping_point([10, 20, 30], INSIDE) == (30, 20)


def test_an_earlier_iteration_just_outside_one_standard_error_is_not():
    assert stopping_point([10, 20, 30], OUTSIDE) == (30, 30)


def test_the_smallest_iteration_within_the_band_wins_even_after_a_dip():
    folds = [[0.835, 0.70, 0.85, 0.80], [0.835, 0.70, 0.83, 0.80]]  # iteration 1: 0.835, best 0.84 ± 0.01
    assert stopping_point([1, 2, 3, 4], folds) == (3, 1)


def test_a_tie_for_the_best_goes_to_the_first_iteration():
    assert stopping_point([1, 2, 3], [[0.5, 0.9, 0.9], [0.5, 0.9, 0.9]]) == (2, 2)


def test_with_one_fold_the_stopping_point_is_the_best():
    assert stopping_point([1, 2, 3], [[0.79, 0.80, 0.78]]) == (2, 2)


def test_scores_must_have_one_column_per_iteration():
    with pytest.raises(ValueError, match=r"one column per iteration \(3\)"):
        stopping_point([1, 2, 3], [[0.5, 0.6]])


def _curve(test: list[list[float]], *, fitted: int = 30) -> TrainingCurve:
    iterations = (10, 20, 30)
    best, stop = stopping_point(iterations, test)
    train = tuple((0.9, 0.95, 1.0) for _ in test)
    return TrainingCurve(
        metric="accuracy",
        param="max_iter",
        iterations=iterations,
        train=train,
        test=tuple(map(tuple, test)),
        fitted=fitted,
        best=best,
        stop=stop,
    )


def test_the_param_line_names_the_stopping_point_and_none_when_the_best_is_the_last_iteration():
    assert _curve(INSIDE).param_line == "--param max_iter=20"
    assert _curve(OUTSIDE).param_line is None
    assert "stopping earlier would not help" in _curve(OUTSIDE).verdict


def test_the_report_section_has_the_mean_and_standard_error_per_iteration_and_each_fold():
    section = _curve(INSIDE).to_dict()
    assert (section["best_iteration"], section["stopping_iteration"], section["fitted_iterations"]) == (30, 20, 30)
    assert [p["iteration"] for p in section["points"]] == [10, 20, 30]
    assert section["points"][2]["test"] == pytest.approx(0.84)
    assert section["points"][2]["test_se"] == pytest.approx(0.02)
    assert section["points"][1]["gap"] == pytest.approx(0.95 - 0.825)
    assert section["folds"][1]["test"] == [0.70, 0.815, 0.86]
    assert "stop early with --param max_iter=20" in section["verdict"]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@pytest.mark.parametrize(
    "make",
    [
        lambda: GradientBoostingClassifier(n_estimators=15, random_state=0),
        lambda: make_pipeline(StandardScaler(), GradientBoostingClassifier(n_estimators=15, random_state=0)),
    ],
    ids=["estimator", "pipeline"],
)
def test_the_replayed_last_iteration_scores_what_the_gap_pass_scored(iris, make):
    X, y = iris
    result = gap(make(), X, y, n_splits=3, n_jobs=1)
    curve = training_curve(result.cv, X, y, metric="accuracy")
    assert curve.skipped is None and curve.method == "staged"
    assert (curve.param, curve.fitted, curve.iterations) == ("n_estimators", 15, tuple(range(1, 16)))
    primary = result.primary
    np.testing.assert_allclose([fold[-1] for fold in curve.train], primary.train)
    np.testing.assert_allclose([fold[-1] for fold in curve.test], primary.test)
    assert curve.best is not None and curve.stop is not None and curve.stop <= curve.best
    mean = np.mean(curve.test, axis=0)
    assert mean[curve.best - 1] == max(mean)


def test_a_model_that_cannot_replay_its_iterations_is_skipped_with_the_reason(iris):
    X, y = iris
    result = gap(DecisionTreeClassifier(random_state=0), X, y, n_splits=3, n_jobs=1)
    curve = training_curve(result.cv, X, y, metric="accuracy")
    assert curve.skipped is not None and "DecisionTreeClassifier has neither staged predictions" in curve.skipped
    section = curve.to_dict()
    assert (section["points"], section["param_line"], section["stopping_iteration"]) == ([], None, None)
    assert section["verdict"].startswith("No training curve:")


def test_a_long_run_is_scored_at_evenly_spaced_iterations_with_the_last(iris, monkeypatch):
    import gapgates.compute.training_curve as module

    monkeypatch.setattr(module, "MAX_POINTS", 4)
    X, y = iris
    result = gap(GradientBoostingClassifier(n_estimators=10, random_state=0), X, y, n_splits=3, n_jobs=1)
    curve = training_curve(result.cv, X, y, metric="accuracy")
    assert curve.iterations == (3, 6, 9, 10)
    assert all(len(fold) == 4 for fold in curve.test)
    assert math.isclose(np.mean([fold[-1] for fold in curve.test]), result.primary.test_mean)


def test_a_model_trained_by_epochs_is_trained_again_epoch_by_epoch_up_to_what_its_fold_models_ran(iris):
    X, y = iris
    model = make_pipeline(StandardScaler(), SGDClassifier(max_iter=12, tol=None, random_state=0))
    result = gap(model, X, y, n_splits=3, n_jobs=1)
    curve = training_curve(result.cv, X, y, metric="accuracy")
    assert (curve.method, curve.param, curve.fitted, curve.iterations) == ("partial_fit", "max_iter", 12, tuple(range(1, 13)))
    assert len(curve.train) == len(curve.test) == 3 and all(len(fold) == 12 for fold in curve.test)
    assert curve.best is not None and curve.stop is not None and curve.stop <= curve.best
    assert curve.to_dict()["method"] == "partial_fit"


def test_partial_fit_without_epochs_is_skipped(iris):
    X, y = iris  # GaussianNB has partial_fit but no epochs (n_iter_): nothing to stop early
    result = gap(GaussianNB(), X, y, n_splits=3, n_jobs=1)
    curve = training_curve(result.cv, X, y, metric="accuracy")
    assert curve.skipped is not None and curve.skipped.startswith("GaussianNB has neither staged predictions")
    assert curve.method is None


class CountingBoosting(GradientBoostingClassifier):
    """Records which staged methods the training curve replays (the calls of every clone, in this process)."""

    replayed: ClassVar[list[str]] = []

    def staged_predict(self, X):
        CountingBoosting.replayed.append("staged_predict")
        return super().staged_predict(X)

    def staged_predict_proba(self, X):
        CountingBoosting.replayed.append("staged_predict_proba")
        return super().staged_predict_proba(X)

    def staged_decision_function(self, X):
        CountingBoosting.replayed.append("staged_decision_function")
        return super().staged_decision_function(X)


@pytest.mark.parametrize(
    ("metric", "method"),
    [
        ("accuracy", "staged_predict"),  # the scorer reads predict
        ("neg_log_loss", "staged_predict_proba"),
        ("roc_auc_ovr", "staged_predict_proba"),  # multiclass roc_auc reads probabilities
    ],
)
def test_only_the_response_method_the_metric_reads_is_replayed(iris, metric, method):
    X, y = iris
    result = gap(CountingBoosting(n_estimators=8, random_state=0), X, y, scoring=[metric], n_splits=3, n_jobs=1)
    CountingBoosting.replayed = []
    curve = training_curve(result.cv, X, y, metric=metric)
    assert curve.skipped is None
    # one staged_predict per fold model counts its iterations; then only the metric's own method, twice per fold
    assert CountingBoosting.replayed.count("staged_predict") == 3 + (6 if method == "staged_predict" else 0)
    assert {m for m in CountingBoosting.replayed if m != "staged_predict"} == (set() if method == "staged_predict" else {method})
    np.testing.assert_allclose([fold[-1] for fold in curve.test], result.primary.test)


# --- the boosting libraries: replayed with their first i iterations (XGBoost, LightGBM) or staged (CatBoost) ---


@pytest.mark.parametrize(
    ("spec", "param"),
    [
        ("xgboost.XGBClassifier", "n_estimators"),
        ("lightgbm.LGBMClassifier", "n_estimators"),
        ("catboost.CatBoostClassifier", "iterations"),
    ],
)
def test_boosting_libraries_replay_their_fold_models_with_no_fit(spec, param):
    pytest.importorskip(spec.split(".")[0])
    from gapgates.compute.crossval import gap
    from gapgates.compute.sweep import default_sweep
    from gapgates.data.libraries import native_defaults
    from gapgates.data.model import build_model

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=150), "city": rng.choice(["oslo", "lima"], 150)})
    y = pd.Series(np.where(X["x"] + (X["city"] == "oslo") + rng.normal(scale=0.7, size=150) > 0.5, "yes", "no"))
    result = gap(native_defaults(build_model(spec, [f"{param}=12"])), X, y, n_splits=3)  # yes/no: XGBoost gets codes
    curve = training_curve(result.cv, X, y, metric="accuracy")
    assert curve.skipped is None and curve.method == "staged" and curve.param == param and curve.fitted == 12
    assert curve.iterations == tuple(range(1, 13))
    # the last iteration is the fold model itself: the gap pass's own scores, to the digit
    assert [fold[-1] for fold in curve.test] == pytest.approx(result.primary.test)
    assert [fold[-1] for fold in curve.train] == pytest.approx(result.primary.train)
    assert curve.stop is not None and 1 <= curve.stop <= 12
    assert default_sweep(build_model(spec)).param == param  # check --recommend sweeps the iterations
