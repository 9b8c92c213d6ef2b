"""XGBoost, LightGBM and CatBoost, classifier and regressor, through ``gapgates check --promote`` (a real process,
a local registry, the stored model loaded and predicting) and through the retrain-and-gate flow: a text feature
column (each library's categories), a ``yes``/``no`` target (XGBoost takes only 0..n-1: the stored model still
predicts ``yes``/``no``), and the libraries' log off the summary.

Small data (160 rows, 3 folds, 15 iterations) and a lenient policy: the tests are about what the libraries get and
give back, not about their gaps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gapgates.registry import LocalRegistry
from tests.helpers import run_cli_process

for _library in ("xgboost", "lightgbm", "catboost"):
    pytest.importorskip(_library)

POLICY = "[gap]\nmax_gap = 0.5\n[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n[leakage]\nmax_feature_score = 1.0\n"
MODELS = {
    "xgboost-classifier": ("xgboost.XGBClassifier", "n_estimators=15"),
    "xgboost-regressor": ("xgboost.XGBRegressor", "n_estimators=15"),
    "lightgbm-classifier": ("lightgbm.LGBMClassifier", "n_estimators=15"),
    "lightgbm-regressor": ("lightgbm.LGBMRegressor", "n_estimators=15"),
    "catboost-classifier": ("catboost.CatBoostClassifier", "iterations=15"),
    "catboost-regressor": ("catboost.CatBoostRegressor", "iterations=15"),
}


def _world(root: Path, classifier: bool) -> tuple[Path, Path, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 160
    frame = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n), "colour": rng.choice(["red", "green", "blue"], n)})
    signal = 2 * frame["x"] + np.where(frame["colour"] == "red", 1.5, -0.5)
    if classifier:
        frame["target"] = np.where(signal + rng.normal(scale=0.5, size=n) > 0, "yes", "no")
    else:
        frame["target"] = signal + rng.normal(scale=0.3, size=n)
    data, policy = root / "data.csv", root / "policy.toml"
    frame.to_csv(data, index=False)
    policy.write_text(POLICY)
    return data, policy, frame


def _predicted(registry: Path, frame: pd.DataFrame) -> np.ndarray:
    model = LocalRegistry(registry).load()  # production, checksum verified, skops' trusted types only
    return np.asarray(model.predict(frame.drop(columns=["target"]).head(20)))


def _expect_labels(case: str, predicted: np.ndarray, frame: pd.DataFrame) -> None:
    if case.endswith("classifier"):
        assert set(predicted) <= {"yes", "no"} and len(set(predicted)) == 2, predicted
        assert (predicted == frame["target"].head(20).to_numpy()).mean() >= 0.7
    else:
        assert predicted.dtype.kind == "f" and np.corrcoef(predicted, frame["target"].head(20))[0, 1] > 0.8


@pytest.mark.parametrize("case", list(MODELS))
def test_check_promotes_and_the_stored_model_predicts(tmp_path, case):
    spec, param = MODELS[case]
    data, policy, frame = _world(tmp_path, case.endswith("classifier"))
    registry = tmp_path / "registry"
    extra = ["--param", "verbose=-1"] if case == "lightgbm-classifier" else []  # the command
    done = run_cli_process(
        "check", "--data", str(data), "--target", "target", "--model", spec, "--param", param, *extra,
        "--folds", "3", "--policy", str(policy), "--out", str(tmp_path / "out"), "--registry", str(registry), "--promote",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    # the summary alone: its title, then indented lines; no library's log (LightGBM's [Info], CatBoost's iterations)
    assert lines[0].startswith("PROMOTE") and all(line.startswith("  ") for line in lines[1:]), done.stdout
    assert "[LightGBM]" not in done.stdout and "learn:" not in done.stdout and done.stderr == ""
    assert not (tmp_path / "catboost_info").exists()
    _expect_labels(case, _predicted(registry, frame), frame)


@pytest.mark.parametrize("case", list(MODELS))
def test_the_flow_promotes_and_the_stored_model_predicts(prefect_api, tmp_path, case):
    from gapgates.flows.retrain import final_report, retrain_and_gate

    spec, param = MODELS[case]
    data, policy, frame = _world(tmp_path, case.endswith("classifier"))
    key, value = param.split("=")
    registry = tmp_path / "registry"
    options = {
        "data": str(data), "target": "target", "model": spec, "params": {key: int(value)}, "folds": 3,
        "policy": str(policy), "out": str(tmp_path / "out"), "registry": str(registry), "promote": True,
    }  # fmt: skip
    state = retrain_and_gate(options=options, return_state=True)
    report, promoted = final_report(state)
    assert state.is_completed() and promoted and report["decision"] == "promote", report.get("reasons")
    _expect_labels(case, _predicted(registry, frame), frame)
