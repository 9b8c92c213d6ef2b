import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_regression
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_validate
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from gapgates.compute.crossval import gap
from gapgates.data.splits import make_splits
from gapgates.errors import ConfigError

FITS = []


class CountingTree(DecisionTreeClassifier):
    """A tree that records every fit (in-process runs only)."""

    def fit(self, X, y, sample_weight=None, check_input=True):
        FITS.append(len(X))
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


def test_one_pass_fits_each_fold_once_and_keeps_oof_probabilities(iris):
    X, y = iris
    FITS.clear()
    result = gap(CountingTree(max_depth=2, random_state=0), X, y, scoring=["accuracy", "neg_log_loss"], n_splits=5)
    assert len(FITS) == 5  # one fit per fold, nothing twice
    assert list(result.metrics) == ["accuracy", "neg_log_loss"]
    cv = result.cv
    assert cv.covered.all()
    for est, (_, test) in zip(cv.estimators, cv.splits):
        np.testing.assert_allclose(cv.oof_proba[test], est.predict_proba(X.iloc[test]))
    np.testing.assert_allclose(cv.oof_proba.sum(axis=1), 1.0)
    assert (cv.oof_pred == cv.classes[cv.oof_proba.argmax(axis=1)]).all()


def test_scores_equal_sklearn_cross_validate_on_the_same_folds(iris):
    X, y = iris
    model = DecisionTreeClassifier(max_depth=3, random_state=0)
    result = gap(model, X, y, seed=7)
    raw = cross_validate(model, X, y, cv=result.cv.splits, return_train_score=True)
    g = result.primary
    np.testing.assert_allclose(g.train, raw["train_score"])
    np.testing.assert_allclose(g.test, raw["test_score"])
    assert g.gap_mean == pytest.approx(np.mean(raw["train_score"] - raw["test_score"]))
    assert g.relative_gap == pytest.approx(g.gap_mean / g.train_mean)
    assert g.gap_ci_low < g.gap_mean < g.gap_ci_high


def test_deterministic_for_a_seed_and_different_across_seeds(iris):
    X, y = iris
    model = DecisionTreeClassifier(max_depth=3, random_state=0)
    a, b, c = (gap(model, X, y, seed=s).primary for s in (1, 1, 2))
    assert a.test == b.test
    assert a.test != c.test


def test_repeated_kfold_counts_all_folds_and_averages_oof(iris):
    X, y = iris
    result = gap(DecisionTreeClassifier(max_depth=2, random_state=0), X, y, n_splits=5, n_repeats=3)
    assert result.n_folds == 15 and len(result.primary.test) == 15
    np.testing.assert_allclose(result.cv.oof_proba.sum(axis=1), 1.0)


def test_progress_reports_every_fold(iris):
    X, y = iris
    seen = []
    gap(DecisionTreeClassifier(random_state=0), X, y, n_splits=4, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_regression_defaults_to_r2_and_keeps_oof_predictions():
    X, y = make_regression(n_samples=120, n_features=4, noise=5.0, random_state=0)
    X, y = pd.DataFrame(X), pd.Series(y)
    result = gap(LinearRegression(), X, y)
    assert not result.classification
    assert list(result.metrics) == ["r2"]
    assert result.cv.oof_proba is None
    assert np.isfinite(result.cv.oof_pred.astype(float)).all()


def test_group_folds_keep_groups_apart(iris):
    X, y = iris
    groups = pd.Series(np.arange(len(X)) % 10)
    splits = make_splits(X, y, classification=True, n_splits=5, groups=groups)
    for train, test in splits:
        assert not set(groups.iloc[train]) & set(groups.iloc[test])


def test_time_folds_train_on_the_past_only(iris):
    X, y = iris
    rng = np.random.default_rng(0)
    time = pd.Series(rng.permutation(len(X)))
    splits = make_splits(X, y, classification=True, n_splits=4, time=time)
    assert len(splits) == 4
    for train, test in splits:
        assert time.iloc[train].max() < time.iloc[test].min()
    result = gap(DecisionTreeClassifier(random_state=0), X, y, splits=splits)
    assert not result.cv.covered.all()  # the earliest block is never tested
    assert np.isnan(result.cv.oof_proba[~result.cv.covered]).all()


def test_unknown_metric_is_a_config_error(iris):
    X, y = iris
    with pytest.raises(ConfigError, match=r"Unknown scoring name 'acc'"):
        gap(DecisionTreeClassifier(), X, y, scoring=["acc"])


def test_probability_metric_on_a_model_without_probabilities(iris):
    X, y = iris
    with pytest.raises(ConfigError, match=r"'neg_log_loss' needs predict_proba.*SVC does not have"):
        gap(SVC(), X, y, scoring=["neg_log_loss"])


def test_model_without_predict_proba_keeps_label_predictions(iris):
    X, y = iris
    result = gap(SVC(), X, y)
    assert result.cv.oof_proba is None
    assert (result.cv.oof_pred == y.to_numpy()).mean() > 0.9


# --- the library's front door: what a Python caller brings ------------------------------------------------------


def _with_text(n: int = 90) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=n), "city": rng.choice(["oslo", "lima", "pune"], n)})
    return X, pd.Series(2 * X["x"] + (X["city"] == "oslo") + rng.normal(scale=0.1, size=n))


def test_scoring_as_a_string_a_list_or_a_dict(iris):
    from sklearn.metrics import make_scorer, recall_score
    from sklearn.tree import DecisionTreeClassifier

    from gapgates.compute.crossval import gap

    X, y = iris
    tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    assert list(gap(tree, X, y, scoring="accuracy", n_splits=3).metrics) == ["accuracy"]  # not 'a', 'c', 'c'...
    assert list(gap(tree, X, y, scoring=["accuracy", "f1_macro"], n_splits=3).metrics) == ["accuracy", "f1_macro"]
    named = gap(tree, X, y, scoring={"acc": "accuracy", "recall": make_scorer(recall_score, average="macro")}, n_splits=3)
    assert list(named.metrics) == ["acc", "recall"] and named.primary.test_mean == named.metrics["acc"].test_mean
    with pytest.raises(ConfigError, match=r"has no name for the report\. Pass scoring=\{'name': scorer\}"):
        gap(tree, X, y, scoring=make_scorer(recall_score, average="macro"))


def test_text_columns_are_encoded_as_the_cli_encodes_them():
    from sklearn.linear_model import Ridge

    from gapgates.compute.crossval import gap

    X, y = _with_text()
    result = gap(Ridge(), X, y, n_splits=3)  # Ridge alone cannot read 'oslo'
    assert result.primary.metric == "r2" and result.primary.test_mean > 0.9
    assert type(result.cv.estimators[0][0].transformers_[0][1]).__name__ == "OneHotEncoder"


def test_a_model_spec_is_built_and_anything_else_refused_in_one_line():
    from sklearn.linear_model import Ridge

    from gapgates.compute.crossval import gap

    X, y = _with_text()
    assert gap("sklearn.linear_model.Ridge", X, y, n_splits=3).primary.test_mean > 0.9
    for bad in (Ridge, "not a model", 3):
        with pytest.raises(ConfigError) as caught:
            gap(bad, X, y, n_splits=3)
        assert "\n" not in str(caught.value) and "__sklearn_tags__" not in str(caught.value)
    with pytest.raises(ConfigError, match=r"an instance, not a class"):
        gap(Ridge, X, y)


def test_library_errors_name_the_arguments():
    from sklearn.linear_model import Ridge

    from gapgates.compute.crossval import gap

    X, y = _with_text(10)
    with pytest.raises(ConfigError, match=r"exceeds the number of rows \(10\)\. Lower n_splits\.$"):
        gap(Ridge(), X, y, n_splits=20)
    with pytest.raises(ConfigError, match=r"does not exist\. Pass estimator='path/to/file\.py:NAME'\.$"):
        gap("missing.py:model", X, y)
