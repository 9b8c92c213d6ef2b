"""Folds fitted in parallel: joblib's loky backend starts worker processes (the rest of gap() is in tests/unit)."""

from sklearn.tree import DecisionTreeClassifier

from gapgates.compute.crossval import gap


def test_parallel_folds_give_identical_results(iris):
    X, y = iris
    model = DecisionTreeClassifier(max_depth=3, random_state=0)
    serial = gap(model, X, y, n_jobs=1).primary
    parallel = gap(model, X, y, n_jobs=2).primary
    assert serial.train == parallel.train and serial.test == parallel.test


def test_workers_started_early_are_the_ones_the_pass_uses(iris):
    """start_workers's workers get the environment the pass asks for, so joblib reuses them instead of starting
    new ones (a mismatch would restart the pool and pay the cold start again); the numbers are the serial ones."""
    from joblib.externals.loky import reusable_executor

    from gapgates.compute.crossval import _workers_started, measure_gap, start_workers, thread_limits

    X, y = iris
    model = DecisionTreeClassifier(max_depth=3, random_state=0)
    with thread_limits(None):  # as a gate run enters it before it starts the workers
        start_workers(2, model="sklearn.tree.DecisionTreeClassifier")
        _workers_started()
        started = sorted(reusable_executor._executor._processes)
        parallel = measure_gap(model, X, y, n_jobs=2).primary
        used = sorted(reusable_executor._executor._processes)
    assert len(started) == 2 and used == started
    serial = gap(model, X, y, n_jobs=1).primary
    assert serial.train == parallel.train and serial.test == parallel.test
