"""gapgates/data/labels.py: labels encoded for a model that takes only 0..n-1, decoded out of it, and stored as
the registry stores models (skops, trusting gapgates' list only)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from gapgates.data.labels import EncodedLabels, needs_codes
from gapgates.registry.serialize import dumps, loads


@pytest.mark.parametrize(
    ("labels", "needed"),
    [([0, 1, 2, 1], False), ([1, 2], True), (["no", "yes"], True), ([True, False], True), ([0.0, 1.0], True), ([0, 2], True)],
)
def test_needs_codes(labels, needed):
    assert needs_codes(np.asarray(labels)) is needed


def test_fitted_on_codes_predicts_labels():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array(["no", "no", "yes", "yes"])
    model = EncodedLabels(LogisticRegression()).fit(X, y)
    assert model.classes_.tolist() == ["no", "yes"] and model.estimator_.classes_.tolist() == [0, 1]
    assert model.predict(X).tolist() == y.tolist()
    assert model.predict_proba(X).shape == (4, 2) and model.decision_function(X).shape == (4,)
    assert model.estimator.__dict__.get("classes_") is None  # the caller's estimator is not fitted


def test_only_the_methods_the_model_has():
    from sklearn.svm import SVC

    assert not hasattr(EncodedLabels(SVC()), "predict_proba")
    assert hasattr(EncodedLabels(SVC()), "decision_function")


def test_a_classifier_with_its_tags():
    from sklearn.base import is_classifier

    assert is_classifier(EncodedLabels(DecisionTreeClassifier()))


def test_stored_and_loaded_with_the_trusted_types():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = EncodedLabels(DecisionTreeClassifier()).fit(X, [False, False, True, True])
    back = loads(dumps(model))
    assert back.predict(X).tolist() == [False, False, True, True]
