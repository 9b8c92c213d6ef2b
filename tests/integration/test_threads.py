"""A gate run's native thread limit reaches every fit and prediction of the model, not only the folds' fits."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from gapgates.config import usable_cores
from tests.helpers import noisy_classification, openmp_threads, run_cli_process

#: The file an :class:`OpenMPRecordingBoosting` appends to (set by the test for the CLI process).
RECORD = "GAPGATES_TEST_OPENMP_RECORD"


def _record(call: str) -> None:
    threads = sorted(openmp_threads())
    with open(os.environ[RECORD], "a", encoding="utf-8") as out:
        out.write(f"{call} {threading.current_thread().name} {','.join(map(str, threads))}\n")


class OpenMPRecordingBoosting(HistGradientBoostingClassifier):
    """Records the OpenMP threads its calling thread may use at every fit and probability prediction."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> OpenMPRecordingBoosting:
        _record("fit")
        return super().fit(X, y, sample_weight=sample_weight)

    def predict_proba(self, X: Any) -> Any:
        _record("predict_proba")
        return super().predict_proba(X)


@pytest.mark.skipif(usable_cores() < 2, reason="one usable core: every pool has one thread anyway")
def test_every_fit_and_prediction_of_a_gate_run_keeps_its_thread_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run limits native threads before the load-data step imports the model, and threadpoolctl limits only
    the runtimes already loaded: scikit-learn's OpenMP came later, so the out-of-fold predictions and the final
    fit used every core on a loaded machine (about 10x slower there, in one run of three)."""
    data = tmp_path / "data.csv"
    noisy_classification(300, flip=0.1).to_csv(data, index=False)
    record = tmp_path / "openmp.txt"
    monkeypatch.setenv(RECORD, str(record))
    monkeypatch.setenv("GAPGATES_THREADS", "1")  # the limit a loaded machine would measure
    done = run_cli_process(
        "check",
        "--data",
        str(data),
        "--target",
        "label",
        "--model",
        f"{__name__}.OpenMPRecordingBoosting",
        "--param",
        "max_iter=5",
        "--folds",
        "3",
        "--out",
        str(tmp_path / "out"),
        "--history",
        str(tmp_path / "h.sqlite"),
        "--holdout-fraction",
        "0.2",
    )
    assert done.returncode in (0, 1), done.stderr
    calls = [line.split() for line in record.read_text(encoding="utf-8").splitlines()]
    assert {call for call, _, _ in calls} == {"fit", "predict_proba"}
    assert sum(call == "fit" for call, _, _ in calls) > 3  # the folds and at least the final model
    assert [line for line in calls if line[2] != "1"] == []
