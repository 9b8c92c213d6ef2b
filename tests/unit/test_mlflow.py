"""MlflowRegistry without the mlflow extra: one clear install hint (the registry itself is in tests/integration)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers import sqlite_uri


def test_mlflow_missing_extra_gives_install_hint(monkeypatch, tmp_path):
    from gapgates.registry.mlflow import MlflowRegistry

    monkeypatch.setitem(sys.modules, "mlflow", None)  # what an environment without the extra looks like
    with pytest.raises(ImportError, match=r"pip install 'gapgates\[mlflow\]'"):
        MlflowRegistry(sqlite_uri(tmp_path))


META = {
    "decision": "block",
    "diagnosis": "overfit",
    "reasons": ["gap too large", "noise"],
    "model_spec": "m.M",
    "params": {"max_depth": 3, "criterion": "gini"},
    "folds": 5,
    "repeats": 2,
    "seed": 7,
    "policy_hash": "ph",
    "gap": {
        "accuracy": {
            "train_mean": 1.0,
            "test_mean": 0.9,
            "gap_mean": 0.1,
            "gap_ci_low": 0.05,
            "gap_ci_high": 0.15,
            "relative_gap": 0.1,
        }
    },
    "holdout": {"accuracy": {"train": 1.0, "test": 0.8, "gap": 0.2}},
    "noise_rate": 0.07,
    "shift_auc": None,
}


def test_run_params_name_the_model_and_the_cross_validation():
    from gapgates.registry.mlflow import run_params

    assert run_params(META) == {
        "model.spec": "m.M",
        "cv.folds": "5",
        "cv.repeats": "2",
        "cv.seed": "7",
        "policy_hash": "ph",
        "model.param.max_depth": "3",
        "model.param.criterion": "gini",
    }


def test_run_metrics_per_metric_and_diagnostics_leave_out_what_was_not_computed():
    from gapgates.registry.mlflow import run_metrics

    metrics = run_metrics({**META, "gap": {"accuracy": {**META["gap"]["accuracy"], "relative_gap": float("nan")}}})
    assert metrics == {
        "accuracy.train": 1.0,
        "accuracy.test": 0.9,
        "accuracy.gap": 0.1,
        "accuracy.gap_ci_low": 0.05,
        "accuracy.gap_ci_high": 0.15,
        "accuracy.holdout_train": 1.0,
        "accuracy.holdout_test": 0.8,
        "accuracy.holdout_gap": 0.2,
        "noise_rate": 0.07,
    }


def test_run_name_and_tags_say_model_decision_and_diagnosis():
    from gapgates.registry.mlflow import run_name, run_tags

    assert run_name("tree", META, "2026-11-24T03:00:01.123+00:00") == "tree-block-20261124-030001"
    assert run_tags(META) == {
        "gapgates.decision": "block",
        "gapgates.diagnosis": "overfit",
        "gapgates.reasons": "gap too large; noise",
    }
    assert run_tags({}) == {}


@pytest.mark.parametrize("alias", ["../../x", "", "latest", "v3", "a b", "x" * 256, 3])
def test_an_alias_mlflow_cannot_hold_is_refused(alias):
    from gapgates.errors import ConfigError
    from gapgates.registry.mlflow import check_alias

    with pytest.raises(ConfigError, match="an MLflow alias name: letters, digits"):
        check_alias(alias)
    assert check_alias("champion-2_b") == "champion-2_b"


def test_a_local_store_has_a_lock_beside_it_and_a_server_none(tmp_path):
    from gapgates.registry.mlflow import MlflowRegistry, _lock_path

    assert _lock_path(f"sqlite:///{tmp_path}/mlflow.db") == tmp_path / "mlflow.db.gapgates.lock"
    assert _lock_path(str(tmp_path / "store")) == tmp_path / "store" / ".gapgates.lock"
    assert _lock_path("http://127.0.0.1:5000") is None
    assert MlflowRegistry.locate("sqlite:///rel.db") == f"mlflow:sqlite:///{Path('rel.db').absolute()}"
