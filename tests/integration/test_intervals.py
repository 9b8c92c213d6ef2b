"""The corrected interval in simulation: coverage of the true gap, shrinking with more folds (seconds each).

The formulas themselves are checked in tests/unit/test_intervals.py.
"""

import numpy as np
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier

from gapgates.compute.crossval import gap


def _population(seed=0):
    X, y = make_classification(n_samples=60_300, n_features=8, n_informative=4, flip_y=0.1, random_state=seed)
    return X, y


def test_interval_covers_the_true_mean_gap_in_simulation():
    """Draw many small training samples from one population; the true gap of a depth-4 tree
    trained on n rows is estimated on a large independent test set. The corrected interval
    from 5-fold CV on each sample must cover it most of the time (nominal 95%)."""
    import pandas as pd

    X, y = _population()
    X_pop, y_pop = X[:60_000], y[:60_000]
    rng = np.random.default_rng(1)
    n, reps = 300, 40
    model = DecisionTreeClassifier(max_depth=4, random_state=0)
    # True expected gap for training sets of size n*(k-1)/k (the CV train size): train acc − population acc.
    true_gaps = []
    for _ in range(60):
        rows = rng.choice(60_000, size=240, replace=False)
        fitted = model.fit(X_pop[rows], y_pop[rows])
        true_gaps.append(fitted.score(X_pop[rows], y_pop[rows]) - fitted.score(X_pop, y_pop))
    true_gap = float(np.mean(true_gaps))
    covered = 0
    for rep in range(reps):
        rows = rng.choice(60_000, size=n, replace=False)
        Xs = pd.DataFrame(X_pop[rows])
        ys = pd.Series(y_pop[rows])
        g = gap(model, Xs, ys, n_splits=5, seed=rep).primary
        covered += g.gap_ci_low <= true_gap <= g.gap_ci_high
    assert covered / reps >= 0.8, f"coverage {covered}/{reps} around true gap {true_gap:.3f}"


def test_interval_shrinks_with_more_repeats_and_folds():
    import pandas as pd

    X, y = make_classification(n_samples=400, n_features=8, flip_y=0.1, random_state=3)
    X, y = pd.DataFrame(X), pd.Series(y)
    model = DecisionTreeClassifier(max_depth=5, random_state=0)

    def width(**kw):
        g = gap(model, X, y, **kw).primary
        return g.gap_ci_high - g.gap_ci_low

    widths_1 = [width(n_splits=5, n_repeats=1, seed=s) for s in range(4)]
    widths_5 = [width(n_splits=5, n_repeats=5, seed=s) for s in range(4)]
    assert np.mean(widths_5) < np.mean(widths_1)
    assert width(n_splits=10, n_repeats=3) < width(n_splits=3, n_repeats=1)
