import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.tree import DecisionTreeClassifier

from gapgates.compute.crossval import gap
from gapgates.compute.folds import combine_folds, fit_fold
from gapgates.data.splits import make_splits


def test_fold_by_fold_equals_one_cross_validate_pass():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    est = DecisionTreeClassifier(max_depth=3, random_state=0)
    splits = make_splits(X, y, classification=True, n_splits=4, seed=2)
    scoring = ["accuracy", "roc_auc"]
    whole = gap(est, X, y, scoring=scoring, splits=splits)
    folds = [fit_fold(est, X, y, tr, te, scoring=scoring, index=i) for i, (tr, te) in enumerate(splits)]
    parts = combine_folds(folds[::-1], X, scoring=scoring, classification=True)  # order does not matter
    assert parts.to_dict() == whole.to_dict()
    np.testing.assert_array_equal(parts.cv.oof_proba, whole.cv.oof_proba)
    assert not hasattr(est, "tree_")  # the estimator passed in is never fitted
