"""Label noise on a first run (no registry, no history): random flips are named ``noise`` by the spread of their
contradictions (``label_noise:confident``), the same table clean is not; real cleanlab, real scikit-learn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from gapgates.config import make_config
from gapgates.judge.checks import Outcome, Status
from gapgates.pipeline.definition import run_check

MODELS = """
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

scaled_lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
"""


pytestmark = pytest.mark.usefixtures("one_native_thread")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("noise_first_run")
    (root / "models.py").write_text(MODELS)
    cancer = load_breast_cancer(as_frame=True).frame
    cancer.to_csv(root / "clean.csv", index=False)
    flipped = cancer.copy()
    rows = np.random.default_rng(0).choice(len(cancer), size=round(0.10 * len(cancer)), replace=False)
    flipped.loc[rows, "target"] = 1 - flipped.loc[rows, "target"]
    flipped.to_csv(root / "flipped.csv", index=False)
    return root


def _run(files: Path, data: str):
    return run_check(make_config({"data": files / data, "target": "target", "model": f"{files / 'models.py'}:scaled_lr"}))


def _check(result, name: str):
    return next(c for c in result.decision.checks if c.name == name)


def test_ten_percent_flipped_labels_on_a_first_run_are_blocked_as_noise(files):
    result = _run(files, "flipped.csv")
    confident = _check(result, "label_noise:confident")
    assert confident.status is Status.FAIL and confident.value > confident.limit
    assert _check(result, "label_noise:increase").status is Status.SKIPPED  # no reference: a first run
    assert result.decision.outcome is Outcome.BLOCK
    assert result.diagnosis.label == "noise"
    assert "rows the model is surest of" in result.diagnosis.explanation
    c = result.evidence.noise.confident
    assert c.confident_rate == pytest.approx(0.10, abs=0.04)  # the flips, found among the surest rows


def test_the_same_table_clean_is_not_blocked_as_noise(files):
    result = _run(files, "clean.csv")
    confident = _check(result, "label_noise:confident")
    assert confident.status is Status.PASS and confident.value < confident.limit
    assert result.diagnosis.label != "noise"
    assert result.decision.outcome is Outcome.PROMOTE
