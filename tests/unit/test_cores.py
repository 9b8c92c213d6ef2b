"""Native thread pools are sized to the cores other processes leave free, so a loaded machine costs a fair share."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from threadpoolctl import threadpool_info

from gapgates.compute.crossval import thread_limits
from gapgates.config import free_cores, usable_cores


@pytest.fixture
def every_core_busy() -> Iterator[None]:
    """One CPU-bound process per usable core, stopped by PID afterwards."""
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(usable_cores())]
    try:
        time.sleep(0.5)
        yield
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()


def _openmp_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}


@pytest.mark.usefixtures("every_core_busy")
def test_a_loaded_machine_leaves_one_thread_per_pool() -> None:
    assert free_cores() == 1
    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime)

    with thread_limits(None) as workers:
        assert workers == 1
        threads = _openmp_threads()
    assert threads == {1}


def test_the_environment_sets_the_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPGATES_THREADS", "1")
    assert free_cores() == 1
    monkeypatch.setenv("GAPGATES_THREADS", "64")
    assert free_cores() == usable_cores()
    monkeypatch.setenv("GAPGATES_THREADS", "many")  # not a count: measured as usual
    assert 1 <= free_cores() <= usable_cores()


def test_a_run_measures_the_free_cores_once_and_its_passes_share_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import gapgates.config

    readings: list[int] = []

    def measured(**_: object) -> int:
        readings.append(2)
        return 2

    monkeypatch.setattr(gapgates.config, "free_cores", measured)
    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime)

    with thread_limits(None):
        for _ in range(3):  # a pass per added repeat, each inside the run's limit
            with thread_limits(None):
                assert _openmp_threads() == {2}
    assert readings == [2]
    with thread_limits(None):  # a new run measures again
        pass
    assert readings == [2, 2]


def test_this_processs_own_busy_threads_are_not_competition() -> None:
    """Inside a Prefect flow the client's threads are often running when a run measures; they are this process's
    own threads, not other processes, and must not halve the run's native threads (they did: one core of two)."""
    stop = threading.Event()

    def hash_forever() -> None:
        data = b"x" * (1 << 20)
        while not stop.is_set():
            hashlib.sha256(data).digest()  # releases the GIL: runs alongside the measuring thread

    before = free_cores()
    busy = threading.Thread(target=hash_forever, daemon=True)
    busy.start()
    try:
        time.sleep(0.1)
        during = [free_cores() for _ in range(3)]
    finally:
        stop.set()
        busy.join()
    assert max(during) >= before, (before, during)
