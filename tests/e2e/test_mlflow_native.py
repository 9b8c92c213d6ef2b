"""What gapgates promotes into MLflow is a native MLflow model, read with MLflow's own client only.

``gapgates check`` runs as a real subprocess against a sqlite store; the assertions use MLflow's API
(``mlflow.sklearn.load_model``, ``mlflow.pyfunc.load_model``, ``MlflowClient``), never gapgates' reader,
except to compare predictions with what gapgates' own ``load()`` gives.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gapgates.demo import DEMO_POLICY_PATH
from tests.helpers import sqlite_uri

mlflow = pytest.importorskip("mlflow")

NAME = "logreg"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A sqlite tracking store; MLflow's fluent API (the loaders) reads it from the environment."""
    uri = sqlite_uri(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)
    return uri


def _check(run_cli, data: Path, store: str, out: Path, *extra: str, model: str = "gapgates.demo.scaled_logistic_regression"):
    proc = run_cli(
        "check",
        "--data",
        str(data),
        "--target",
        "target",
        "--model",
        model,
        "--policy",
        str(DEMO_POLICY_PATH),
        "--name",
        NAME,
        "--registry",
        f"mlflow:{store}",
        "--promote",
        "--out",
        str(out),
        *extra,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads((out / "report.json").read_text())


def test_a_promoted_version_loads_with_mlflows_own_loaders(run_cli, cancer_csv, store, tmp_path):
    from mlflow import MlflowClient

    report = _check(run_cli, cancer_csv, store, tmp_path / "out", "--alias", "prod")
    assert report["decision"] == "promote" and report["registry"]["promoted"] is True
    uri = f"models:/{NAME}@prod"
    X = pd.read_csv(cancer_csv).drop(columns="target")

    native = mlflow.sklearn.load_model(uri)
    pyfunc = mlflow.pyfunc.load_model(uri)
    from gapgates.registry import open_registry

    own = open_registry(f"mlflow:{store}", model_name=NAME, alias="prod").load()
    assert np.array_equal(native.predict(X), own.predict(X))
    assert np.array_equal(np.asarray(pyfunc.predict(X)), own.predict(X))
    assert np.array_equal(native.predict_proba(X), own.predict_proba(X))

    client = MlflowClient()
    version = client.get_model_version_by_alias(NAME, "prod")
    assert str(version.version) == report["registry"]["version"]
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{NAME}@prod", dst_path=str(tmp_path / "dl")))
    flavors = mlflow.models.Model.load(str(local / "MLmodel")).flavors
    assert flavors["sklearn"]["serialization_format"] == "skops" and "python_function" in flavors
    assert (local / "model.skops").is_file() and not list(local.glob("*.pkl"))


def test_each_run_carries_params_metrics_tags_and_reports(run_cli, cancer_csv, store, tmp_path):
    from mlflow import MlflowClient

    report = _check(
        run_cli, cancer_csv, store, tmp_path / "out", "--folds", "5", "--repeats", "2", "--seed", "2", "--holdout-fraction", "0.2"
    )
    client = MlflowClient()
    version = client.get_model_version_by_alias(NAME, "champion")  # the default alias
    run = client.get_run(version.run_id)
    print("run name:", run.info.run_name)
    print("params:", sorted(run.data.params))
    print("metrics:", sorted(run.data.metrics))
    print("tags:", sorted(k for k in run.data.tags if not k.startswith("mlflow.")))
    assert run.info.run_name.startswith(f"{NAME}-promote-") and run.info.status == "FINISHED"
    params = run.data.params
    assert params["model.spec"] == "gapgates.demo.scaled_logistic_regression"
    assert (params["cv.folds"], params["cv.repeats"], params["cv.seed"]) == ("5", "2", "2")
    assert params["policy_hash"] == report["policy_hash"]
    metrics = run.data.metrics
    for metric, g in report["gap"].items():
        assert metrics[f"{metric}.train"] == pytest.approx(g["train_mean"])
        assert metrics[f"{metric}.test"] == pytest.approx(g["test_mean"])
        assert metrics[f"{metric}.gap"] == pytest.approx(g["gap_mean"])
        assert metrics[f"{metric}.gap_ci_low"] == pytest.approx(g["gap_ci_low"])
        assert metrics[f"{metric}.gap_ci_high"] == pytest.approx(g["gap_ci_high"])
    assert metrics["noise_rate"] == pytest.approx(report["noise"]["rate"])
    assert metrics["shift_auc"] == pytest.approx(report["shift"]["auc"])
    assert run.data.tags["gapgates.decision"] == "promote"
    assert run.data.tags["gapgates.diagnosis"] == report["diagnosis"]["label"]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"report.json", "report.md", "report.html", "model"} <= artifacts
    stored = json.loads(Path(client.download_artifacts(run.info.run_id, "report.json", str(tmp_path / "r"))).read_text())
    assert stored["decision"] == "promote" and stored["policy_hash"] == report["policy_hash"]


def test_a_blocked_run_is_logged_with_its_reasons_and_never_aliased(run_cli, cancer_csv, store, tmp_path):
    from mlflow import MlflowClient

    report = _check(run_cli, cancer_csv, store, tmp_path / "out", model="sklearn.tree.DecisionTreeClassifier")
    assert report["decision"] == "block"
    client = MlflowClient()
    [version] = client.search_model_versions(f"name='{NAME}'")
    run = client.get_run(version.run_id)
    assert run.info.run_name.startswith(f"{NAME}-block-") and run.data.tags["gapgates.decision"] == "block"
    assert "accuracy gap" in run.data.tags["gapgates.reasons"]
    assert run.data.tags["gapgates.diagnosis"] == "overfit" and run.data.metrics["accuracy.gap"] > 0
    assert client.get_registered_model(NAME).aliases == {}


def test_the_alias_comes_from_the_config_file(run_cli, cancer_csv, store, tmp_path):
    from mlflow import MlflowClient

    config = tmp_path / "gapgates.toml"
    config.write_text(
        f'data = "{cancer_csv}"\ntarget = "target"\nmodel = "gapgates.demo.scaled_logistic_regression"\n'
        f'name = "{NAME}"\npolicy = "{DEMO_POLICY_PATH}"\nregistry = "mlflow:{store}"\npromote = true\n'
        f'alias = "nightly"\nout = "{tmp_path / "out"}"\n'
    )
    assert run_cli("check", "--config", str(config)).returncode == 0
    client = MlflowClient()
    assert set(client.get_registered_model(NAME).aliases) == {"nightly"}
    assert mlflow.sklearn.load_model(f"models:/{NAME}@nightly") is not None
    shown = run_cli("registry", "show", "--registry", f"mlflow:{store}", "--alias", "nightly", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["production"] == "1"
    wrong = run_cli("check", "--config", str(config), "--registry", str(tmp_path / "dir"))
    assert wrong.returncode == 2 and "'alias' applies to an mlflow: registry only" in wrong.stderr


@pytest.mark.slow
def test_a_promoted_version_loads_in_a_venv_with_mlflow_and_the_models_declared_requirements_only(
    run_cli, cancer_csv, store, tmp_path
):
    """A serving or batch-scoring job built from MLflow's docs: a fresh venv with the model's own requirements.txt
    (``mlflow.pyfunc.get_model_dependencies``) and what a sqlite tracking store needs, nothing of gapgates."""
    import subprocess
    import sys

    from gapgates.registry import open_registry
    from tests.helpers import ROOT

    report = _check(run_cli, cancer_csv, store, tmp_path / "out", "--alias", "champion")
    assert report["decision"] == "promote"
    uri = f"models:/{NAME}@champion"
    declared = Path(mlflow.pyfunc.get_model_dependencies(uri)).read_text().split()
    names = sorted(line.split("==")[0] for line in declared)
    assert names == ["mlflow-skinny", "pandas", "scikit-learn", "skops"], declared  # never the full mlflow server

    venv = tmp_path / "consumer"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "-c",
            str(ROOT / "requirements.lock"),
            *declared,
            "sqlalchemy",
            "alembic",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    X = pd.read_csv(cancer_csv).drop(columns="target")
    X.to_csv(tmp_path / "fresh.csv", index=False)
    consumer = (
        "import importlib.util, json, sys, mlflow, pandas as pd\n"
        f"model = mlflow.pyfunc.load_model({uri!r})\n"
        f"pred = model.predict(pd.read_csv({str(tmp_path / 'fresh.csv')!r}))\n"
        "print(json.dumps({'pred': [int(v) for v in pred], 'gapgates': importlib.util.find_spec('gapgates') is not None}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run([str(python), "-c", consumer], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["gapgates"] is False
    own = open_registry(f"mlflow:{store}", model_name=NAME, alias="champion").load()
    assert seen["pred"] == [int(v) for v in own.predict(X)]
