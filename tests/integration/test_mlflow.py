"""MlflowRegistry seen through MLflow's own client, on a real local store (sqlite in ``tmp_path``, no server).

The behaviour every registry shares is the contract in tests/integration/test_registry_contract.py, which runs
on this backend too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gapgates.enforcement import enforce
from gapgates.judge.checks import Outcome
from gapgates.registry import open_registry
from tests.helpers import PERMISSIVE, gate_run, sqlite_uri, write_noisy


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory) -> str:
    """One sqlite store per module (creating its tables takes seconds); each test uses its own model name."""
    pytest.importorskip("mlflow", reason="needs the mlflow extra: pip install 'gapgates[mlflow]'")
    return sqlite_uri(tmp_path_factory.mktemp("mlflow"))


@pytest.fixture(scope="module")
def passing(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    run = gate_run(write_noisy(root / "noisy.csv"), root / "scratch", PERMISSIVE)
    assert run.decision.outcome is Outcome.PROMOTE
    return run


def test_mlflow_alias_and_version_tags(mlflow_store, passing):
    from mlflow import MlflowClient

    reg = open_registry(f"mlflow:{mlflow_store}")
    done = enforce(passing, reg, promote=True)  # registered under the run's model name
    client = MlflowClient(tracking_uri=mlflow_store, registry_uri=mlflow_store)
    mv = client.get_model_version_by_alias("LogisticRegression", "champion")
    assert str(mv.version) == done.version
    assert mv.tags["gapgates.decision"] == "promote"
    assert float(mv.tags["gapgates.gap.accuracy.gap_mean"]) == pytest.approx(passing.evidence.gap.primary.gap_mean, abs=1e-5)
    assert mv.tags["gapgates.policy_hash"] == passing.policy_hash
    assert not list(Path.cwd().glob("mlruns"))  # artifacts live next to the store, not in the working directory
    assert (Path(mlflow_store.removeprefix("sqlite:///")).parent / "mlartifacts").is_dir()
