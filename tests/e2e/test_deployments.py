"""Deployments: a real ``prefect server`` on 127.0.0.1, the flows served on cron schedules (the nightly gate, the weekly
digest), run_deployment; a fresh clone's `make demo` and the shipped deployments, deployed and served."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections import Counter

import pytest

from gapgates.demo import DEMO_POLICY_PATH
from tests.helpers import ROOT, PrefectServer, deployment_named, run_cli_process, wait_for


@pytest.mark.slow
def test_served_deployment_runs_on_a_real_server(tmp_path, cancer_csv):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    config = tmp_path / "gapgates.toml"
    config.write_text(
        f'data = "{cancer_csv}"\ntarget = "target"\nmodel = "gapgates.demo.scaled_logistic_regression"\n'
        f'name = "served-logreg"\npolicy = "{DEMO_POLICY_PATH}"\nout = "{tmp_path / "out"}"\n'
    )
    with PrefectServer(tmp_path / "home") as server:
        served = server.start(
            sys.executable,
            "-m",
            "gapgates.deployments.serve",
            "--config",
            str(config),
            "--name",
            "test-serve",
            "--cron",
            "0 3 * * *",
        )
        with temporary_settings(updates={PREFECT_API_URL: server.url}):
            with get_client(sync_client=True) as client:
                deadline = time.monotonic() + 120
                while True:
                    assert served.poll() is None, "gapgates.deployments.serve exited"
                    try:
                        deployment = client.read_deployment_by_name("retrain-and-gate/test-serve")
                        break
                    except Exception:
                        assert time.monotonic() < deadline, "the deployment never appeared"
                        time.sleep(1)
            assert [s.schedule.cron for s in deployment.schedules] == ["0 3 * * *"]
            assert deployment.parameters == {"config_path": str(config.resolve())}
            flow_run = run_deployment("retrain-and-gate/test-serve", timeout=240, poll_interval=2)
            assert flow_run.state.is_completed(), flow_run.state
            with get_client(sync_client=True) as client:  # served beside it: the digest of the same config
                digest = client.read_deployment_by_name("stakeholder-digest/weekly-digest")
            assert [s.schedule.cron for s in digest.schedules] == ["0 7 * * 1"]
            assert digest.parameters["history"] == str(tmp_path / "history.sqlite")
            digest_run = run_deployment("stakeholder-digest/weekly-digest", timeout=120, poll_interval=2)
        assert flow_run.state.is_completed(), flow_run.state
        assert (tmp_path / "out" / "report.json").is_file()
        assert digest_run.state.is_completed(), digest_run.state
        assert "served-logreg" in (tmp_path / "digest" / "digest.md").read_text()
    assert all(proc.poll() is not None for proc in server.procs)


def test_serve_script_refuses_a_missing_config(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "gapgates.deployments.serve", "--config", str(tmp_path / "nope.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def _final(client, run_id):
    run = client.read_flow_run(run_id)
    return run if run.state is not None and run.state.is_final() else None


@pytest.mark.slow
def test_a_fresh_clone_runs_the_shipped_monitor_and_both_set_ups_leave_one_of_each(tmp_path):
    """What a fresh clone has (deployments/, the demo policy) and what `make demo` runs (`gapgates demo --out
    demo-report`); then the shipped prefect.yaml deployed with a worker runs production-monitor to completion, and
    serve.py started on the same project after it leaves one deployment per name and one automation."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    project = tmp_path / "project"
    shutil.copytree(ROOT / "deployments", project / "deployments", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copytree(ROOT / "gapgates" / "policies", project / "gapgates" / "policies")
    demo = run_cli_process("demo", "--out", "demo-report", cwd=project)
    assert demo.returncode == 0, demo.stderr
    assert (project / "demo-report" / "fresh.csv").is_file() and (project / "demo-report" / "registry").is_dir()
    logs = [project / "worker.log", project / "serve.log", tmp_path / "home" / "server.log"]
    with PrefectServer(tmp_path / "home", PREFECT_WORKER_QUERY_SECONDS="2") as server:
        server.cli("work-pool", "create", "gapgates-local", "--type", "process")
        server.cli("deploy", "--prefect-file", "deployments/prefect.yaml", "--all", cwd=project)
        server.start(sys.executable, "-m", "prefect", "worker", "start", "--pool", "gapgates-local", cwd=project, log=logs[0])
        with temporary_settings(updates={PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:
            monitor = client.read_deployment_by_name("monitor-production/production-monitor")
            run = client.create_flow_run_from_deployment(monitor.id)
            done = wait_for("the shipped monitor run finished", 300, lambda: _final(client, run.id), logs=logs)
            assert done.state.is_completed(), done.state.message
            assert (project / "demo-report" / "scheduled" / "monitor" / "report.json").is_file()
            assert len(client.read_automations()) == 1  # prefect deploy: the retrain's trigger

            server.start(
                sys.executable, "-m", "gapgates.deployments.serve", "--config", "deployments/gapgates.toml",
                "--fresh", "demo-report/fresh.csv", cwd=project, log=logs[1],
            )  # fmt: skip

            def served_all():  # serve registers the same three names again, with its module-path entrypoints
                found = [deployment_named(client, name) for name in SHIPPED]
                return all(d is not None and ":" not in (d.entrypoint or ":") for d in found)

            wait_for("serve re-registered the shipped deployments", 180, served_all, logs=logs)
            time.sleep(3)  # the triggers are applied right after each deployment
            names = Counter(f"{client.read_flow(d.flow_id).name}/{d.name}" for d in client.read_deployments() if d.name != "loop")
            assert names == Counter(SHIPPED), names  # one deployment per name
            automations = client.read_automations()
            assert [a.name for a in automations] == ["retrain scaled-logreg when the monitor says so"], automations


SHIPPED = (
    "retrain-and-gate/scheduled-retrain",
    "monitor-production/production-monitor",
    "stakeholder-digest/weekly-digest",
)
