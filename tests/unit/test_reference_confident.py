"""The references' view of the labels (``ReferenceScores.confident``): each row's out-of-fold prediction from the first
fold that tests it, read as :func:`~gapgates.compute.noise.confident_errors` reads a probability table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from gapgates.compute.baseline import _confident, _predicted, strong_baseline
from gapgates.compute.noise import confident_errors
from gapgates.data.splits import make_splits


def test_each_row_is_read_from_the_first_fold_that_tests_it_and_untested_rows_are_left_out():
    y = pd.Series(["a", "b", "a", "c", "b"])
    classes = np.array(["a", "b", "c"])
    folds = [
        (np.array([2, 3, 4]), np.array([0, 1])),
        (np.array([0, 1, 4]), np.array([2, 3])),
        (np.array([2, 3, 4]), np.array([0, 1])),  # a second repeat testing rows 0 and 1 again: not read
    ]
    predicted = [
        (np.array([0.9, 0.8], dtype=np.float32), np.array([0, 2], dtype=np.int32)),  # row 1 ("b") predicted "c"
        (np.array([0.7, 0.6], dtype=np.float32), np.array([0, 2], dtype=np.int32)),
        (np.array([0.99, 0.99], dtype=np.float32), np.array([1, 1], dtype=np.int32)),
    ]
    got = _confident(y, classes, folds, predicted, share=0.5)
    proba = np.array([[0.9, 0, 0], [0, 0, 0.8], [0.7, 0, 0], [0, 0, 0.6]])  # row 4 is never tested
    assert got == confident_errors(np.array([0, 1, 0, 2]), proba, share=0.5)
    assert got.rows == 4 and got.error_rate == 0.25
    assert _confident(y, classes, folds, [*predicted[:2], None], share=0.5) is None


def test_a_fold_without_a_class_maps_its_predictions_to_the_labels_classes():
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    model = DummyClassifier(strategy="prior").fit(X.iloc[:3], ["b", "c", "c"])  # never saw "a"
    conf, pred = _predicted(model, X, np.array(["a", "b", "c"]))
    assert pred.tolist() == [2, 2, 2, 2] and conf.tolist() == pytest.approx([2 / 3] * 4)


def test_the_strong_baseline_gives_each_classifier_reference_a_view_only_when_asked():
    X, y = load_iris(return_X_y=True, as_frame=True)
    folds = make_splits(X, y, classification=True, n_splits=3, n_repeats=1, seed=0)
    plain = strong_baseline(X, y, splits=folds, scoring=["accuracy"], classification=True, models=["linear"])
    viewed = strong_baseline(
        X, y, splits=folds, scoring=["accuracy"], classification=True, models=["linear"], confident_share=0.3
    )
    assert plain is not None and viewed is not None
    assert plain.references[0].confident is None and plain.references[0].to_dict()["confident"] is None
    c = viewed.references[0].confident
    model = LogisticRegression(max_iter=1000)
    errors = []
    for train, test in folds:
        model.fit(X.iloc[train], y.iloc[train])
        errors.append(model.predict(X.iloc[test]) != y.iloc[test].to_numpy())
    assert c is not None and c.rows == len(y)
    assert c.error_rate == pytest.approx(np.concatenate(errors).mean(), abs=0.02)  # scaled + one-hot vs raw features
    assert viewed.references[0].to_dict()["confident"] == c.to_dict()


def test_repeated_folds_are_read_from_the_first_repeat_and_a_second_call_is_served_from_the_cache(monkeypatch):
    monkeypatch.delenv("GAPGATES_CACHE_DIR", raising=False)  # fitted here, not read from disk
    X, y = load_iris(return_X_y=True, as_frame=True)
    once = make_splits(X, y, classification=True, n_splits=3, n_repeats=1, seed=1)
    twice = make_splits(X, y, classification=True, n_splits=3, n_repeats=2, seed=1)
    kwargs = {"scoring": ["accuracy"], "classification": True, "models": ["linear"], "confident_share": 0.3, "seed": 1}
    first = strong_baseline(X, y, splits=once, **kwargs)
    repeated = strong_baseline(X, y, splits=twice, **kwargs)
    again = strong_baseline(X, y, splits=twice, **kwargs)
    assert first is not None and repeated is not None and again is not None
    assert repeated.fits == 3 and again.fits == 0  # the first repeat's folds were cached by the first call
    assert repeated.references[0].confident == first.references[0].confident == again.references[0].confident


def test_the_cache_keeps_its_predictions_within_a_byte_budget(monkeypatch):
    from gapgates.compute import baseline

    monkeypatch.setattr(baseline, "_CACHE", baseline.OrderedDict())
    monkeypatch.setattr(baseline, "_cached_bytes", 0)
    monkeypatch.setattr(baseline, "_CACHE_BYTES", 1000)
    rows = (np.zeros(50, dtype=np.float32), np.zeros(50, dtype=np.int32))  # 400 bytes
    for key in "abc":
        baseline._store(key, ({}, {}, rows))
    baseline._store("d", ({}, {}, None))
    baseline._evict()
    assert list(baseline._CACHE) == ["b", "c", "d"] and baseline._cached_bytes == 800


def test_a_report_written_before_the_references_views_still_validates():
    """report.json files written before ``strong_baseline.references[].confident`` existed are re-read
    (``gapgates report --from``): the key is optional."""
    from gapgates.report.schema import report_schema

    item = report_schema()["properties"]["strong_baseline"]["properties"]["references"]["items"]
    assert "confident" in item["properties"] and "confident" not in item["required"]


def test_the_linear_reference_encodes_an_identifier_column_into_at_most_max_categories_columns():
    """A text column of 5,000 distinct values (an identifier) is one-hot encoded into the 19 most frequent values and
    the rest together, not 5,000 dense columns: a table of 40 such columns would otherwise need gigabytes."""
    from gapgates.compute.baseline import _reference_model
    from gapgates.data.model import MAX_CATEGORIES

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=6000), "id": [f"v{v}" for v in rng.integers(0, 5000, size=6000)]})
    y = pd.Series(rng.integers(0, 2, size=6000))
    model, described = _reference_model("linear", X, classification=True, seed=0)
    encoded = model[:-1].fit_transform(X, y)
    assert encoded.shape == (6000, 1 + MAX_CATEGORIES) and "one-hot" in described
    small = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "colour": ["red", "blue", "red", "green"]})
    few, _ = _reference_model("linear", small, classification=True, seed=0)
    assert few[:-1].fit_transform(small, [0, 1, 0, 1]).shape == (4, 4)  # up to the cap, one column a value, as before
