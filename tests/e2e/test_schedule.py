"""The nightly schedule fires: the project's own deployments on a real server create runs, and they complete.

``deployments/prefect.yaml`` (deployed with ``prefect deploy``, run by a process worker) and
``deployments/serve.py`` (serving from its own process) are put on a real local server with their cron
changed to every minute, as the only change. The server's scheduler must create the runs (nothing is
triggered by hand) and one run of each must complete. A scheduler that fails on every cycle (Prefect
3.8.8 with SQLAlchemy 2.1) creates none, and this test fails within its bounded waits.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gapgates.demo import DEMO_POLICY_PATH
from tests.helpers import PrefectServer, deployed_project, deployment_named, deployment_runs, wait_for

EVERY_MINUTE = "* * * * *"
#: The deployments under test: prefect.yaml's (a worker runs it) and serve.py's (it serves itself).
YAML, SERVED = "retrain-and-gate/scheduled-retrain", "retrain-and-gate/every-minute"


def _config(path: Path, data: Path, out: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'data = "{data}"\ntarget = "target"\nmodel = "gapgates.demo.scaled_logistic_regression"\n'
        f'name = "scheduled-logreg"\npolicy = "{DEMO_POLICY_PATH}"\nout = "{out}"\nfolds = 5\n'
    )
    return path


@pytest.mark.slow
def test_the_projects_schedules_create_runs_and_they_complete(tmp_path, cancer_csv):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    project = tmp_path / "project"
    served_config = _config(tmp_path / "served" / "gapgates.toml", cancer_csv, tmp_path / "out-served")
    logs = [project / "worker.log", tmp_path / "serve.log", tmp_path / "home" / "server.log"]
    with PrefectServer(tmp_path / "home", PREFECT_WORKER_QUERY_SECONDS="5") as server:
        toml = _config(tmp_path / "yaml.toml", cancer_csv, project / "out-yaml").read_text()
        deployed_project(project, server, toml, cron=EVERY_MINUTE)
        server.start(
            sys.executable,
            "-m",
            "gapgates.deployments.serve",
            "--config",
            str(served_config),
            "--name",
            "every-minute",
            "--cron",
            EVERY_MINUTE,
            log=logs[1],
        )
        with temporary_settings(updates={PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:
            deployments = {
                name: wait_for(f"deployment {name} registered", 180, lambda name=name: deployment_named(client, name), logs=logs)
                for name in (YAML, SERVED)
            }
            for name, deployment in deployments.items():
                assert [s.schedule.cron for s in deployment.schedules] == [EVERY_MINUTE], name
                scheduled = wait_for(
                    f"the scheduler created no run of {name}",
                    90,
                    lambda d=deployment: [r for r in deployment_runs(client, d.id) if r.auto_scheduled],
                    logs=logs,
                )
                delay = (min(r.created for r in scheduled) - deployment.created).total_seconds()
                print(f"{name}: {len(scheduled)} scheduled runs, the first created {delay:.1f} s after the deployment")
                assert len(scheduled) >= 3 and all(
                    r.state.is_scheduled() or not r.state.is_final() or r.state.is_completed() for r in scheduled
                )
            for name, deployment in deployments.items():
                done = wait_for(
                    f"no scheduled run of {name} completed", 300, lambda d=deployment: _finished(client, d.id), logs=logs
                )
                assert done.state.is_completed() and done.auto_scheduled, (name, done.state)
                print(f"{name}: run {done.name} completed at {done.end_time} (expected {done.expected_start_time})")
    assert (project / "out-yaml" / "report.json").is_file() and (tmp_path / "out-served" / "report.json").is_file()


def _finished(client, deployment_id):
    """The first scheduled run that finished; a failed or crashed one fails the test with its message."""
    for run in deployment_runs(client, deployment_id):
        if run.state is not None and run.state.is_final():
            assert run.state.is_completed(), f"scheduled run {run.name} ended {run.state.type.value}: {run.state.message}"
            return run
    return None
