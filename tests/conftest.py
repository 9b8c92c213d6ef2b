"""Shared fixtures: toy data files and a CLI runner that uses this checkout's code."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]

# Prefect must never touch ~/.prefect from the tests: a throwaway home for this session
# (set before anything imports prefect; subprocesses and Dask workers inherit it).
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="gapgates-prefect-")
atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], ignore_errors=True)
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")


def run_cli_process(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gapgates ARGS`` in a subprocess with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "gapgates", *args],
        capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=timeout,
    )


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The gapgates CLI as a real subprocess (exit code, stdout, stderr)."""
    return run_cli_process


def noisy_classification(n: int = 600, *, flip: float = 0.2, seed: int = 0) -> pd.DataFrame:
    """Generated 2-class data with a share of labels flipped at random."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=10, n_informative=5, random_state=seed)
    rng = np.random.default_rng(seed)
    flipped = rng.random(n) < flip
    y = np.where(flipped, 1 - y, y)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["label"] = y
    return frame


@pytest.fixture
def noisy_csv(tmp_path: Path) -> Path:
    """CSV of noisy 2-class data (target column ``label``)."""
    path = tmp_path / "noisy.csv"
    noisy_classification().to_csv(path, index=False)
    return path


@pytest.fixture
def cancer_csv(tmp_path: Path) -> Path:
    """scikit-learn's breast-cancer data as CSV (target column ``target``)."""
    from sklearn.datasets import load_breast_cancer

    path = tmp_path / "cancer.csv"
    load_breast_cancer(as_frame=True).frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """One temporary Prefect server (``prefect_test_harness``) for the session; yields its API URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=300):
        yield str(PREFECT_API_URL.value())
