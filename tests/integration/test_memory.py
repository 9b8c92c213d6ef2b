"""The evidence steps stay within a bounded working memory, whatever the rows (issue 14: memory at parity with a bare
cross-validation pass). Measured with tracemalloc, which sees NumPy's allocations."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier

from gapgates.compute.crossval import gap
from gapgates.compute.datalab import data_issues
from gapgates.compute.segments import weak_segments

MB = 2**20


@pytest.fixture(scope="module")
def pass_on_200k() -> tuple[Any, pd.DataFrame, pd.Series]:
    X, y = make_classification(n_samples=200_000, n_features=20, n_informative=8, n_classes=3, random_state=0)
    frame, target = pd.DataFrame(X, columns=[f"f{i}" for i in range(20)]), pd.Series(y)
    return gap(DecisionTreeClassifier(max_depth=4, random_state=0), frame, target, n_splits=3).cv, frame, target


def _peak(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def test_the_datalab_audit_of_its_sample_is_computed_in_chunks(pass_on_200k: tuple[Any, pd.DataFrame, pd.Series]) -> None:
    cv, X, y = pass_on_200k
    # a 5,000-row sample: one k-NN distance block at once is 5,000² float64 (190 MB) and its partition; with
    # scikit-learn's default working memory the audit peaked at about 480 MB here, in 64 MB chunks at about 180 MB
    peak = _peak(lambda: data_issues(cv, X, y, classification=True))
    assert peak < 260, f"{peak:.0f} MB"


def test_weak_segments_keep_a_byte_per_row_and_column(pass_on_200k: tuple[Any, pd.DataFrame, pd.Series]) -> None:
    cv, X, y = pass_on_200k
    # X itself is 200,000 × 20 float64 = 30 MB; with int64 slice codes and a float64 tree matrix the segments peaked
    # at about 74 MB here, with int8 codes and the tree's own float32 at about 48 MB
    peak = _peak(lambda: weak_segments(cv, X, y, classification=True, seed=0))
    assert peak < 2.0 * X.memory_usage().sum() / MB, f"{peak:.0f} MB"
