"""Fixtures only (shared helpers are in tests/helpers.py): toy data files, the CLI as a subprocess, Prefect."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import noisy_classification, run_cli_process


def pytest_configure(config: pytest.Config) -> None:
    """Prefect must never touch ~/.prefect from the tests: a throwaway home for this session.

    Set before any test module imports prefect; subprocesses and Dask workers inherit it.
    """
    home = tempfile.mkdtemp(prefix="gapgates-prefect-")
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    os.environ["PREFECT_HOME"] = home
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The gapgates CLI as a real subprocess (exit code, stdout, stderr)."""
    return run_cli_process


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
