import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from gapgates.data.model import build_model, encode_features, parse_params, resolve_model, seed_estimator
from gapgates.errors import ConfigError


def test_parse_params_types():
    assert parse_params(["a=3", "b=0.5", "c=true", "d=None", "e=gini", "f=1e-3"]) == {
        "a": 3,
        "b": 0.5,
        "c": True,
        "d": None,
        "e": "gini",
        "f": 0.001,
    }
    with pytest.raises(ConfigError, match=r"KEY=VALUE"):
        parse_params(["max_depth"])


def test_dotted_path_and_params():
    model = build_model("sklearn.tree.DecisionTreeClassifier", ["max_depth=3"])
    assert isinstance(model, DecisionTreeClassifier) and model.max_depth == 3


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("sklearn.tree.NoSuchTree", r"module 'sklearn.tree' has no 'NoSuchTree'"),
        ("nosuchpkg.Model", r"module 'nosuchpkg' cannot be imported"),
        ("DecisionTree", r"Use a dotted class path"),
        ("sklearn.tree.export_text", r"cannot be built without arguments|not a scikit-learn estimator"),
    ],
)
def test_unknown_models(spec, match):
    with pytest.raises(ConfigError, match=match):
        resolve_model(spec)


def test_rejected_params():
    with pytest.raises(ConfigError, match=r"'depth' is not accepted by DecisionTreeClassifier"):
        build_model("sklearn.tree.DecisionTreeClassifier", ["depth=3"])
    # values are the estimator's to validate, through its public API: when it is fit (the first fold)
    assert build_model("sklearn.tree.DecisionTreeClassifier", ["max_depth=-1"]).max_depth == -1


def test_model_file_with_instance_and_factory(tmp_path):
    path = tmp_path / "models.py"
    path.write_text(
        "from sklearn.tree import DecisionTreeClassifier\n"
        "TREE = DecisionTreeClassifier(max_depth=2)\n"
        "def make():\n    return DecisionTreeClassifier(max_depth=4)\n"
    )
    assert resolve_model(f"{path}:TREE").max_depth == 2
    assert resolve_model(f"{path}:make").max_depth == 4
    with pytest.raises(ConfigError, match=r"defines no 'other'"):
        resolve_model(f"{path}:other")
    with pytest.raises(ConfigError, match=r"does not exist"):
        resolve_model(f"{tmp_path / 'none.py'}:make")


def test_seed_sets_only_unset_random_states():
    model = seed_estimator(DecisionTreeClassifier(), 7)
    assert model.random_state == 7
    assert seed_estimator(DecisionTreeClassifier(random_state=1), 7).random_state == 1


def test_non_numeric_columns_are_one_hot_encoded_inside_a_pipeline():
    X = pd.DataFrame({"num": [1.0, 2.0, 3.0, 4.0], "cat": ["a", "b", "a", "c"]})
    y = [0, 1, 0, 1]
    wrapped = encode_features(DecisionTreeClassifier(), X)
    assert isinstance(wrapped, Pipeline)
    assert wrapped.fit(X, y).predict(pd.DataFrame({"num": [1.0], "cat": ["unseen"]})).shape == (1,)
    numeric = X[["num"]]
    assert isinstance(encode_features(DecisionTreeClassifier(), numeric), DecisionTreeClassifier)
    user = Pipeline([("m", DecisionTreeClassifier())])
    assert encode_features(user, X) is user


def test_an_identifier_column_is_one_hot_encoded_into_at_most_max_categories_columns():
    """A text column of 5,000 distinct values becomes its 19 most frequent values and one for the rest, not 5,000
    dense columns: 40 such columns in 20,000 rows made a matrix of 32 GB and the machine killed the run."""
    import numpy as np

    from gapgates.data.model import MAX_CATEGORIES

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"num": rng.normal(size=6000), "id": [f"v{v}" for v in rng.integers(0, 5000, size=6000)]})
    y = rng.integers(0, 2, size=6000)
    wrapped = encode_features(DecisionTreeClassifier(max_depth=2), X).fit(X, y)
    assert wrapped[:-1].transform(X).shape == (6000, MAX_CATEGORIES + 1)
    unseen = pd.DataFrame({"num": [0.0], "id": ["never-seen"]})
    assert wrapped[:-1].transform(unseen)[0, :MAX_CATEGORIES].sum() == 1  # with the rare values, in one column
    few = pd.DataFrame({"num": [1.0, 2.0, 3.0, 4.0], "cat": ["a", "b", "a", "c"]})
    assert encode_features(DecisionTreeClassifier(), few).fit(few, [0, 1, 0, 1])[:-1].transform(few).shape == (4, 4)


def test_lumped_columns_are_those_the_encoding_gives_fewer_columns_than_values():
    from gapgates.data.model import MAX_CATEGORIES, lumped_columns

    n = 4 * (MAX_CATEGORIES + 1)
    X = pd.DataFrame(
        {
            "twenty": [f"a{i % MAX_CATEGORIES}" for i in range(n)],
            "many": [f"b{i % (MAX_CATEGORIES + 1)}" for i in range(n)],
            "with_missing": [None if i % (MAX_CATEGORIES + 1) == 0 else f"c{i % (MAX_CATEGORIES + 1)}" for i in range(n)],
            "num": range(n),
        }
    )
    y = [i % 2 for i in range(n)]
    assert lumped_columns(DecisionTreeClassifier(), X) == {"many": MAX_CATEGORIES + 1, "with_missing": MAX_CATEGORIES + 1}
    # what it names is what the encoding does: one column per value for "twenty", MAX_CATEGORIES for the others
    encoded = encode_features(DecisionTreeClassifier(), X).fit(X, y)[:-1].transform(X)
    assert encoded.shape[1] == MAX_CATEGORIES + 2 * MAX_CATEGORIES + 1
    assert lumped_columns(Pipeline([("m", DecisionTreeClassifier())]), X) == {}


def test_a_boosting_library_given_categorical_codes_lumps_nothing():
    lightgbm = pytest.importorskip("lightgbm")
    from gapgates.data.model import lumped_columns

    X = pd.DataFrame({"many": [f"b{i}" for i in range(50)], "num": range(50)})
    assert lumped_columns(lightgbm.LGBMClassifier(), X) == {}
