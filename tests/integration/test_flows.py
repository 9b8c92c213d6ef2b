"""The flow's task runner: Dask (local cluster or remote scheduler) or threads, chosen from the config."""

from __future__ import annotations

from gapgates.config import CheckConfig


def test_task_runner_choice():
    from gapgates.flows.tasks import task_runner_for
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    base = {"data": "d.csv", "target": "y", "model": "m"}
    local = task_runner_for(CheckConfig(**base, dask="local", n_jobs=3))
    from gapgates.config import usable_cores

    assert isinstance(local, DaskTaskRunner) and local.cluster_kwargs["n_workers"] == min(3, usable_cores())
    assert local.cluster_kwargs["threads_per_worker"] == 1
    remote = task_runner_for(CheckConfig(**base, dask="tcp://10.0.0.5:8786"))
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"
    threads = task_runner_for(CheckConfig(**base, n_jobs=2))
    assert isinstance(threads, ThreadPoolTaskRunner) and threads._max_workers == 2
