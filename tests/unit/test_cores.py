"""Native thread pools are sized to the cores other processes leave free, so a loaded machine costs a fair share."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gapgates.compute.crossval import thread_limits
from gapgates.config import free_cores, usable_cores
from tests.helpers import openmp_threads


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


@pytest.mark.usefixtures("every_core_busy")
def test_a_loaded_machine_leaves_one_thread_per_pool() -> None:
    assert free_cores() == 1
    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime)

    with thread_limits(None) as workers:
        assert workers == 1
        threads = openmp_threads()
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
                assert openmp_threads() == {2}
    assert readings == [2]
    with thread_limits(None):  # a new run measures again
        pass
    assert readings == [2, 2]


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="the running threads are read from Linux's /proc")
def test_this_processs_own_busy_threads_are_not_competition(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside a Prefect flow the client's threads are often running when a run measures; they are this process's
    own threads, not other processes, and must not halve the run's native threads (they did: one core of two).

    Checked in two halves, so that other processes (another test worker) cannot decide it: a busy thread of this
    process is counted as running, and whatever this process runs is taken off the machine's running threads."""
    import gapgates.config

    monkeypatch.delenv("GAPGATES_THREADS", raising=False)  # measured, not set
    stop = threading.Event()

    def hash_forever() -> None:
        data = b"x" * (1 << 20)
        while not stop.is_set():
            hashlib.sha256(data).digest()  # releases the GIL: runs alongside the measuring thread

    busy = threading.Thread(target=hash_forever, daemon=True)
    busy.start()
    try:
        time.sleep(0.1)
        during = [gapgates.config._own_running_threads() for _ in range(50)]
    finally:
        stop.set()
        busy.join()
    assert max(during) >= 2, during  # the measuring thread and the busy one
    monkeypatch.setattr(gapgates.config, "_own_running_threads", lambda: 10_000)  # every running thread is ours
    assert free_cores() == usable_cores()


@dataclass(frozen=True)
class _State:
    data: int = 0
    lost: None = None
    fitted: None = None
    blocked: bool = False


def test_every_step_that_fits_runs_with_the_runs_limit_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """threadpoolctl limits only the runtimes loaded when a run enters its limit, and a gate run enters it before
    the load-data step imports the model (and with it the model's OpenMP runtime): :func:`execute` applies the run's
    limit again around every step that fits."""
    from threadpoolctl import threadpool_limits

    from gapgates.pipeline.definition import Step, execute

    monkeypatch.setenv("GAPGATES_THREADS", "1")
    seen: list[set[int]] = []

    def lose_the_limit(_: int) -> None:  # as a runtime loaded after the limit would be: at its own default
        threadpool_limits(limits=2, user_api="openmp")

    def fit(_: int) -> None:
        seen.append(openmp_threads())

    steps = (Step("load", lose_the_limit, ("data",), "lost"), Step("fit", fit, ("data",), "fitted", fits=True))
    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime)

    with thread_limits(None):
        execute(steps, _State())
        after = openmp_threads()
    assert seen == [{1}]
    assert after == {2}  # outside the fitting step, the pool was left as the load step set it


def test_make_tests_workers_are_the_cores_this_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make test`'s `-n logical` asks the suite's conftest, which counts the cores this process may use (a cpuset or
    taskset narrows its affinity; a CPU quota caps it: tests/integration/test_cpu_quota.py), not the host's CPUs;
    xdist's own variable still overrides it."""
    from tests.conftest import pytest_xdist_auto_num_workers

    monkeypatch.delenv("PYTEST_XDIST_AUTO_NUM_WORKERS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert pytest_xdist_auto_num_workers(None) == 1  # type: ignore[arg-type]
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "7")
    assert pytest_xdist_auto_num_workers(None) is None  # type: ignore[arg-type]
