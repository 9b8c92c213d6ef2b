"""Fixtures only (shared helpers are in tests/helpers.py): toy data files, the CLI as a subprocess, Prefect."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from http.server import HTTPServer
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import WebhookHandler, find_chromium, noisy_classification, real_run, run_cli_process


def pytest_configure(config: pytest.Config) -> None:
    """Prefect must never touch ~/.prefect from the tests: a throwaway home for this session; and a throwaway cache of
    the strong baseline's folds (``GAPGATES_CACHE_DIR``) for the session.

    Set before any test module imports prefect; subprocesses and Dask workers inherit it.
    """
    home = tempfile.mkdtemp(prefix="gapgates-prefect-")
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    os.environ["PREFECT_HOME"] = home
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    # the strong baseline's folds, shared by every test worker and the processes they start (the controller sets it
    # before the workers start; they inherit it): a test that needs them fitted unsets it (monkeypatch.delenv)
    if not os.environ.get("GAPGATES_CACHE_DIR"):
        cache = tempfile.mkdtemp(prefix="gapgates-references-")
        config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))
        os.environ["GAPGATES_CACHE_DIR"] = cache


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n logical`` / ``-n auto`` (``make test``): one worker per core this process may use, its CPU affinity
    (what containers' cpusets and ``taskset`` narrow) capped by a CPU quota (:func:`gapgates.config.usable_cores`),
    where pytest-xdist counts every CPU of the host. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still wins (None: xdist reads it)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    from gapgates.config import usable_cores

    return usable_cores()


TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test with its tier, the folder it lives in (tests/unit, tests/integration, tests/e2e): ``-m unit`` works.

    A test outside the tier folders is a usage error, so that no test silently belongs to no tier.
    """
    tests = Path(__file__).parent
    outside = []
    for item in items:
        parts = item.path.relative_to(tests).parts if item.path.is_relative_to(tests) else ()
        if len(parts) > 1 and parts[0] in TIERS:
            item.add_marker(parts[0])
        else:
            outside.append(item.nodeid)
    if outside:
        raise pytest.UsageError(
            f"tests must live in tests/unit, tests/integration or tests/e2e; not in a tier: {', '.join(outside)}"
        )


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


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of headless Chromium (the browser tests skip, saying why, when it is not installed)."""
    path, why = find_chromium()
    if path is None:
        pytest.skip(f"headless Chromium unavailable: {why}")
    return path


@pytest.fixture
def cli_policy(tmp_path: Path) -> Path:
    """A policy file for the ``gapgates check`` tests: accuracy gap at most 0.05 (upper bound), beat the baseline."""
    path = tmp_path / "policy.toml"
    path.write_text(
        '[gap]\nmetrics = ["accuracy"]\nmax_gap = 0.05\ngate_on = "upper"\n[performance]\nmin_gain_over_baseline = 0.0\n'
    )
    return path


@pytest.fixture
def config_toml(tmp_path: Path) -> Path:
    """A gapgates.toml in its own folder (data relative to it), with params, for the merge_config tests."""
    path = tmp_path / "conf" / "gapgates.toml"
    path.parent.mkdir()
    path.write_text(
        'data = "train.csv"\ntarget = "label"\nmodel = "sklearn.tree.DecisionTreeClassifier"\nfolds = 3\n'
        'holdout-fraction = 0.2\n[params]\nmax_depth = 2\ncriterion = "gini"\n'
    )
    return path


@pytest.fixture
def iris() -> tuple[pd.DataFrame, pd.Series]:
    """scikit-learn's iris data (X, y) as pandas."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture
def webhook() -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1 in a thread; ``received`` lists the POSTs, ``status`` is its answer."""
    server = HTTPServer(("127.0.0.1", 0), WebhookHandler)
    server.received, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def null_target_csv(tmp_path: Path) -> Path:
    """CSV of 200 rows of noisy 2-class data with two missing labels (rows 4 and 9)."""
    df = noisy_classification(200)
    df.loc[[4, 9], "label"] = None
    path = tmp_path / "null_target.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report directory of one real gate run (an unbounded tree on noisy data: blocked), once per module."""
    return real_run(tmp_path_factory.mktemp("html"))


@pytest.fixture
def one_native_thread() -> Iterator[None]:
    """OpenMP/BLAS threads oversubscribe a shared 2-core machine; one per process keeps runs to seconds.

    A module opts in with ``pytestmark = pytest.mark.usefixtures("one_native_thread")``.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
