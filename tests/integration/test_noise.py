"""Label noise inside whole gate runs: the noise, leakage and shift steps add no model fit of their own."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """BLAS threads oversubscribe a shared 2-core machine (a 1 s pass takes 30 s); one per process."""
    with threadpool_limits(limits=1):
        yield


COUNT_MODEL = """
from pathlib import Path
from sklearn.linear_model import LogisticRegression

class CountingLR(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        with open({path!r}, "a") as fh:
            fh.write("fit\\n")
        return super().fit(X, y, sample_weight=sample_weight)
"""


def test_noise_and_leakage_add_no_model_fit(tmp_path, noisy_csv):
    from gapgates.config import make_config
    from gapgates.pipeline.definition import run_check

    log = tmp_path / "fits.log"
    (tmp_path / "counting.py").write_text(COUNT_MODEL.format(path=str(log)))
    config = make_config({"data": noisy_csv, "target": "label", "model": f"{tmp_path / 'counting.py'}:CountingLR", "folds": 4})
    result = run_check(config)
    assert result.evidence.noise.skipped is None and result.evidence.noise.adjusted is not None
    assert result.evidence.leakage is not None
    repeats = 1 + result.evidence.gap.repeats.added  # adaptive repeats add whole k-fold passes
    assert result.evidence.gap.n_folds == 4 * repeats
    assert log.read_text().count("fit") == 4 * repeats  # the fold fits of the gap pass, nothing else


def test_with_a_holdout_only_the_final_model_is_added(tmp_path, noisy_csv):
    from gapgates.config import make_config
    from gapgates.pipeline.definition import run_check

    log = tmp_path / "fits.log"
    (tmp_path / "counting.py").write_text(COUNT_MODEL.format(path=str(log)))
    config = make_config(
        {
            "data": noisy_csv,
            "target": "label",
            "model": f"{tmp_path / 'counting.py'}:CountingLR",
            "folds": 4,
            "holdout_fraction": 0.25,
        }
    )
    result = run_check(config)
    assert result.evidence.shift is not None and result.evidence.leakage.duplicate_rate is not None
    repeats = 1 + result.evidence.gap.repeats.added  # adaptive repeats add whole k-fold passes
    # fold fits + the final model; shift fits its own small model
    assert log.read_text().count("fit") == 4 * repeats + 1
