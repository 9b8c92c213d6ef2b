"""The strong baseline's folds fitted in parallel (``--n-jobs``): the numbers of folds fitted one at a time."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, make_classification

from gapgates.compute import baseline
from gapgates.compute.baseline import strong_baseline
from gapgates.data.splits import make_splits


@pytest.mark.parametrize("classification", [True, False])
def test_folds_fitted_in_parallel_give_the_numbers_of_folds_fitted_one_at_a_time(monkeypatch, classification):
    """``n_jobs = 2`` fits the references' folds in two processes (with predictions, two folds at a time: a fitted
    model is kept only until its rows are predicted); every score and confident-error count is the serial run's."""
    import sklearn.model_selection as selection

    if classification:  # 10 % of labels flipped: each reference's confident errors differ by model and fold
        features, labels = make_classification(400, n_features=6, n_informative=4, flip_y=0.1, random_state=0)
        X, y = pd.DataFrame(features, columns=[f"x{i}" for i in range(6)]), pd.Series(labels)
    else:
        X, y = load_diabetes(return_X_y=True, as_frame=True)
    folds = make_splits(X, y, classification=classification, n_splits=5, n_repeats=1, seed=0)
    kwargs = {
        "splits": folds,
        "scoring": ["accuracy"] if classification else ["r2"],
        "classification": classification,
        "models": ["hgb", "linear", "forest"],
        "confident_share": 0.1 if classification else None,
    }
    original, calls = selection.cross_validate, []

    def counted(*args, **kw):
        calls.append(kw.get("n_jobs"))
        return original(*args, **kw)

    monkeypatch.delenv("GAPGATES_CACHE_DIR", raising=False)  # fitted here, not read from disk
    monkeypatch.setattr(baseline, "_CACHE", type(baseline._CACHE)())
    monkeypatch.setattr(baseline, "_cached_bytes", 0)
    serial = strong_baseline(X, y, **kwargs)
    monkeypatch.setattr(baseline, "_CACHE", type(baseline._CACHE)())  # nothing cached: the parallel run fits again
    monkeypatch.setattr(baseline, "_cached_bytes", 0)
    monkeypatch.setattr(selection, "cross_validate", counted)
    parallel = strong_baseline(X, y, n_jobs=2, **kwargs)
    assert serial is not None and parallel is not None and parallel.fits == serial.fits == 15
    if classification:
        assert all(r.confident is not None and r.confident.error_rate > 0 for r in serial.references)
    assert [(r.name, r.train, r.test, r.confident) for r in parallel.references] == [
        (r.name, r.train, r.test, r.confident) for r in serial.references
    ]
    # per reference: folds 2 at a time and the fifth alone (with predictions), or all 5 in one call
    assert calls == ([2, 2, None] * 3 if classification else [2, 2, 2])
