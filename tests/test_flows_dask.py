"""The folds on Dask through prefect-dask: same numbers as the serial run, fold tasks executed on the cluster."""

from __future__ import annotations

import pytest

from gapgates.config import CheckConfig


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True) as local:
        yield local


@pytest.mark.slow
def test_dask_folds_match_the_serial_run(prefect_api, noisy_csv, cluster):
    from distributed import Client, get_task_stream
    from gapgates.flows.retrain import final_report, retrain_and_gate

    from gapgates.pipeline.definition import run_check
    from gapgates.report.build import build_report

    options = {"data": str(noisy_csv), "target": "label", "model": "sklearn.linear_model.LogisticRegression",
               "folds": 4, "seed": 11, "name": "dask-logreg"}
    with Client(cluster) as client, get_task_stream(client) as stream:
        state = retrain_and_gate(options={**options, "dask": cluster.scheduler_address}, return_state=True)
    report, _ = final_report(state)
    serial = build_report(run_check(CheckConfig(**options)))
    assert report["gap"] == serial["gap"]  # identical numbers, fold by fold
    assert report["decision"] == serial["decision"]
    keys = [t["key"] for t in stream.data]
    assert sum(1 for k in keys if "fit_one_fold" in k or "fit-fold" in k) >= 4, keys  # every fold ran on Dask


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
