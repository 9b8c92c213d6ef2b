"""Fold models predict each side of their fold once: later steps reuse what the pass recorded, with the same numbers."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from gapgates.compute.crossval import gap
from gapgates.compute.noise_adjusted import noise_adjusted_gap
from gapgates.compute.segments import weak_segments
from gapgates.data.guard import guarded, locate_folds, recorded
from gapgates.data.splits import make_splits

CALLS: Counter[str] = Counter()


class CountingModel(LogisticRegression):
    """A logistic regression that counts the rows each prediction method is asked for."""

    def predict(self, X: Any) -> Any:
        CALLS["predict"] += len(X)
        return super().predict(X)

    def predict_proba(self, X: Any) -> Any:
        CALLS["predict_proba"] += len(X)
        return super().predict_proba(X)


def _data(index: pd.Index | None = None) -> tuple[pd.DataFrame, pd.Series]:
    X, y = make_classification(n_samples=600, n_features=6, n_informative=4, n_classes=3, random_state=3)
    y = np.where(np.random.default_rng(0).random(600) < 0.1, (y + 1) % 3, y)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    target = pd.Series(y, name="label")
    if index is not None:
        frame.index = target.index = index
    return frame, target


def _pass(X: pd.DataFrame, y: pd.Series, *, guard: bool) -> Any:
    splits = make_splits(X, y, classification=True, n_splits=5, n_repeats=1, seed=0)
    model: Any = CountingModel(max_iter=500)
    if guard:
        model = guarded(model, name="m", folds=locate_folds(X, splits))
    return gap(model, X, y, splits=splits, scoring=["accuracy", "neg_log_loss"])


def test_later_steps_reuse_the_recorded_outputs_and_get_the_same_numbers() -> None:
    X, y = _data()
    plain = _pass(X, y, guard=False)
    CALLS.clear()
    fast = _pass(X, y, guard=True)
    # the pass itself: each side of each fold is predicted once per method its scorers need, test probabilities
    # once (the scorer's and the out-of-fold probabilities are the same call)
    assert CALLS["predict_proba"] == 600 + 4 * 600  # test rows once, training rows once (log loss)
    assert CALLS["predict"] == 600 + 4 * 600
    assert all(recorded(e, "test", "predict_proba") is not None for e in fast.cv.estimators)
    np.testing.assert_array_equal(fast.cv.oof_proba, plain.cv.oof_proba)
    assert fast.to_dict() == plain.to_dict()

    flagged = np.arange(0, 600, 7)
    CALLS.clear()
    adjusted = noise_adjusted_gap(fast, X, y, flagged, scoring=["accuracy", "neg_log_loss"])
    segments = weak_segments(fast.cv, X, y, classification=True, min_rows=30, confidence=0.95, seed=0)
    assert CALLS == Counter(), "the noise-adjusted gap and the segments predicted again"
    assert adjusted.to_dict() == noise_adjusted_gap(plain, X, y, flagged, scoring=["accuracy", "neg_log_loss"]).to_dict()
    again = weak_segments(plain.cv, X, y, classification=True, min_rows=30, confidence=0.95, seed=0)
    assert segments.to_dict() == again.to_dict()


@pytest.mark.parametrize("index", [pd.Index([0] * 600), pd.Index(np.arange(600) % 300)], ids=["constant", "repeated"])
def test_row_labels_that_do_not_tell_the_rows_record_nothing(index: pd.Index) -> None:
    X, y = _data(index)
    fast = _pass(X, y, guard=True)
    assert all(recorded(e, "test", "predict_proba") is None for e in fast.cv.estimators)
    assert all(recorded(e, "training", "predict") is None for e in fast.cv.estimators)
    plain = _pass(X, y, guard=False)
    np.testing.assert_array_equal(fast.cv.oof_proba, plain.cv.oof_proba)
