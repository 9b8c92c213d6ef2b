"""gapgates/data/libraries.py, with the boosting parts of gapgates/data/model.py that read it: the parameters a
boosting estimator accepts, its quiet and safe defaults, and categorical columns passed the way each library takes
them (fitted for real on a small table: codes first, the library told which columns they are)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from gapgates.data.labels import EncodedLabels
from gapgates.data.libraries import CATBOOST, LIGHTGBM, XGBOOST, library_of, native_defaults
from gapgates.data.model import accepted_params, build_model, encode_features
from gapgates.errors import ConfigError

xgboost = pytest.importorskip("xgboost")
lightgbm = pytest.importorskip("lightgbm")
catboost = pytest.importorskip("catboost")

CLASSIFIERS = {
    "xgboost": "xgboost.XGBClassifier",
    "lightgbm": "lightgbm.LGBMClassifier",
    "catboost": "catboost.CatBoostClassifier",
}


def table(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "colour": rng.choice(["red", "green", "blue"], size=n)})
    X.loc[3, "colour"] = None  # a missing category
    y = pd.Series(np.where(X["a"] + (X["colour"] == "red") > 0.3, "yes", "no"), name="label")
    return X, y


def test_library_of_reads_the_module():
    assert library_of(xgboost.XGBRegressor()) is XGBOOST
    assert library_of(lightgbm.LGBMClassifier()) is LIGHTGBM
    assert library_of(catboost.CatBoostRegressor()) is CATBOOST
    from sklearn.ensemble import HistGradientBoostingClassifier

    assert library_of(HistGradientBoostingClassifier()) is None


@pytest.mark.parametrize(
    ("spec", "param", "value"),
    [
        ("lightgbm.LGBMClassifier", "verbose", -1),  # not in a default instance's get_params(): the case
        ("xgboost.XGBClassifier", "max_cat_to_onehot", 4),  # XGBoost's **kwargs
        ("catboost.CatBoostClassifier", "depth", 3),  # CatBoost's get_params() lists only what was set
    ],
)
def test_param_accepted_by_the_constructor_or_set_params(spec, param, value):
    model = build_model(spec, [f"{param}={value}"])
    assert model.get_params()[param] == value


def test_a_closed_constructor_still_refuses_unknown_names():
    with pytest.raises(ConfigError, match=r"'no_such' is not accepted by CatBoostClassifier"):
        build_model("catboost.CatBoostClassifier", ["no_such=1"])
    names, open_ended = accepted_params(catboost.CatBoostClassifier())
    assert "iterations" in names and not open_ended
    assert accepted_params(lightgbm.LGBMClassifier())[1] is True
    # a Pipeline's **kwargs are not estimator parameters
    assert accepted_params(Pipeline([("m", lightgbm.LGBMClassifier())]))[1] is False


@pytest.mark.parametrize("library", ["xgboost", "lightgbm", "catboost"])
def test_quiet_by_default_and_verbose_keeps_the_log(library):
    lib = library_of(build_model(CLASSIFIERS[library]))
    quiet = native_defaults(build_model(CLASSIFIERS[library])).get_params()
    assert all(quiet[k] == v for k, v in lib.quiet.items())
    loud = native_defaults(build_model(CLASSIFIERS[library]), verbose=True).get_params()
    assert all(loud.get(k) != v for k, v in lib.quiet.items()) and all(loud[k] == v for k, v in lib.loud.items())


def test_a_log_parameter_the_user_set_is_kept():
    model = native_defaults(build_model("lightgbm.LGBMClassifier", ["verbosity=1"]), given={"verbosity"})
    assert model.get_params()["verbosity"] == 1 and "verbose" not in model.get_params()


def test_catboost_never_writes_its_info_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = table()
    for verbose in (False, True):
        model = native_defaults(build_model("catboost.CatBoostClassifier", ["iterations=3"]), verbose=verbose)
        assert model.get_params()["allow_writing_files"] is False
        encode_features(model, X, y).fit(X, y)
    assert not (tmp_path / "catboost_info").exists()
    # unless the user says so
    given = build_model("catboost.CatBoostClassifier", ["allow_writing_files=true"])
    given = native_defaults(given, given={"allow_writing_files"})
    assert given.get_params()["allow_writing_files"] is True


@pytest.mark.parametrize("library", ["xgboost", "lightgbm", "catboost"])
def test_text_columns_reach_the_library_as_its_categories(library):
    X, y = table()
    estimator = native_defaults(build_model(CLASSIFIERS[library], ["n_estimators=5"]))
    encoded = encode_features(estimator, X, y)
    assert isinstance(encoded, Pipeline) and type(encoded[0].transformers[0][1]).__name__ == "OrdinalEncoder"
    model = encoded[-1].estimator if isinstance(encoded[-1], EncodedLabels) else encoded[-1]
    told = {
        "xgboost": {"enable_categorical": True, "feature_types": ["c", "q"]},
        "lightgbm": {"categorical_column": [0]},
        "catboost": {"cat_features": (0,)},
    }[library]
    assert {k: model.get_params()[k] for k in told} == told
    assert "enable_categorical" not in estimator.get_params() or estimator.get_params()["enable_categorical"] is False
    fitted = clone(encoded).fit(X, y)
    unseen = X.head(3).assign(colour=["purple", None, "red"])  # an unseen and a missing category
    assert set(fitted.predict(unseen)) <= {"yes", "no"}


def test_the_library_uses_the_codes_as_categories():
    X, y = table(300)
    fitted = encode_features(native_defaults(build_model("lightgbm.LGBMClassifier", ["n_estimators=5"])), X, y).fit(X, y)
    trees = fitted[-1].booster_.dump_model()["tree_info"]
    assert any(tree["num_cat"] > 0 for tree in trees)  # a categorical split, not a threshold on the code


def test_categories_the_user_declared_leave_the_table_alone():
    X, y = table()
    estimator = build_model("catboost.CatBoostClassifier", ["iterations=3", "verbose=false"])
    estimator.set_params(cat_features=("colour",))
    assert encode_features(estimator, X.fillna("?"), y) is not estimator  # cloned, but not encoded
    assert not isinstance(encode_features(estimator, X.fillna("?"), y), Pipeline)


def test_scikit_learn_models_keep_one_hot_encoding():
    from sklearn.linear_model import LogisticRegression

    X, y = table()
    encoded = encode_features(LogisticRegression(), X, y)
    assert type(encoded[0].transformers[0][1]).__name__ == "OneHotEncoder"
    assert not isinstance(encoded[-1], EncodedLabels)  # scikit-learn takes the labels as they are


def test_only_xgboost_classifiers_get_label_codes():
    X, y = table()
    numeric = X[["a"]]
    assert isinstance(encode_features(xgboost.XGBClassifier(), numeric, y), EncodedLabels)
    assert isinstance(encode_features(xgboost.XGBClassifier(), numeric, (y == "yes")), EncodedLabels)
    assert not isinstance(encode_features(xgboost.XGBClassifier(), numeric, (y == "yes").astype(int)), EncodedLabels)
    assert not isinstance(encode_features(lightgbm.LGBMClassifier(), numeric, y), EncodedLabels)
    assert not isinstance(encode_features(xgboost.XGBRegressor(), numeric, X["a"]), EncodedLabels)


def test_catboost_gets_the_runs_seed_unless_it_has_one():
    from gapgates.data.model import seed_estimator

    assert seed_estimator(build_model("catboost.CatBoostClassifier"), 7).get_params()["random_seed"] == 7
    own = seed_estimator(build_model("catboost.CatBoostClassifier", ["random_state=3"]), 7).get_params()
    assert own["random_state"] == 3 and "random_seed" not in own
    assert seed_estimator(build_model("lightgbm.LGBMClassifier"), 7).get_params()["random_state"] == 7
