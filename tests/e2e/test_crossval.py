"""Folds fitted in parallel: joblib's loky backend starts worker processes (the rest of gap() is in tests/unit)."""

from sklearn.tree import DecisionTreeClassifier

from gapgates.compute.crossval import gap


def test_parallel_folds_give_identical_results(iris):
    X, y = iris
    model = DecisionTreeClassifier(max_depth=3, random_state=0)
    serial = gap(model, X, y, n_jobs=1).primary
    parallel = gap(model, X, y, n_jobs=2).primary
    assert serial.train == parallel.train and serial.test == parallel.test
