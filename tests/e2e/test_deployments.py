"""Deployments: a real ``prefect server`` on 127.0.0.1, the flows served on cron schedules (the nightly gate, the weekly
digest), run_deployment; a fresh clone's `make demo` and the shipped deployments, deployed and served, by the commands
and the Python the Prefect and monitoring guides show."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import (
    ROOT,
    PrefectServer,
    deploy_as_shown,
    deployment_named,
    deployment_runs,
    doc_commands,
    python_argv,
    python_example,
    run_cli_process,
    wait_for,
)


@pytest.mark.slow
def test_the_guides_server_serve_and_run_commands_run_the_shipped_gate(tmp_path):
    """guides/prefect.md's block as shown, in a project after `gapgates demo` (the port replaced by a free one): the
    server, serve.py on the shipped deployments/gapgates.toml with its cron, `prefect deployment run`; the run
    completes. The digest served beside it runs on the same config's history."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    start, export, serve, trigger = doc_commands("guides/prefect.md", "prefect server start --host 127.0.0.1 --port 4200")
    assert export == "export PREFECT_API_URL=http://127.0.0.1:4200/api" and "--port 4200" in start  # PrefectServer's env
    project = _demo_project(tmp_path / "project")
    config = project / "deployments" / "gapgates.toml"
    logs = [tmp_path / "serve.log", tmp_path / "home" / "server.log"]
    with PrefectServer(tmp_path / "home", command=start) as server:
        served = server.start(*python_argv(serve), cwd=project, log=logs[0])
        with temporary_settings(updates={PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:

            def registered():
                assert served.poll() is None, "gapgates.deployments.serve exited"
                return deployment_named(client, "retrain-and-gate/scheduled-retrain")

            deployment = wait_for("the served deployment registered", 180, registered, logs=logs)
            assert [s.schedule.cron for s in deployment.schedules] == ["0 3 * * *"]
            assert deployment.parameters == {"config_path": str(config.resolve())}
            server.cli(*python_argv(trigger)[3:], cwd=project)  # prefect deployment run retrain-and-gate/scheduled-retrain
            [run] = [r for r in deployment_runs(client, deployment.id) if not r.auto_scheduled]
            done = wait_for("the triggered run finished", 300, lambda: _final(client, run.id), logs=logs)
            assert done.state.is_completed(), done.state
            digest = wait_for(
                "the digest served", 60, lambda: deployment_named(client, "stakeholder-digest/weekly-digest"), logs=logs
            )
            assert [s.schedule.cron for s in digest.schedules] == ["0 7 * * 1"]
            assert digest.parameters["history"] == str((project / "demo-report" / "history.sqlite").resolve())
            digest_run = run_deployment("stakeholder-digest/weekly-digest", timeout=120, poll_interval=2)
        assert json.loads((project / "demo-report" / "scheduled" / "report.json").read_text())["decision"] == "promote"
        assert digest_run.state.is_completed(), digest_run.state
        assert "scaled-logreg" in (project / "demo-report" / "digest" / "digest.md").read_text()
    assert all(proc.poll() is not None for proc in server.procs)


def _demo_project(project: Path) -> Path:
    """What a fresh clone has (deployments/ without its Python, the shipped policies) after `gapgates demo --out demo-report`
    (what `make demo` runs)."""
    shutil.copytree(ROOT / "deployments", project / "deployments", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copytree(ROOT / "gapgates" / "policies", project / "gapgates" / "policies")
    demo = run_cli_process("demo", "--out", "demo-report", cwd=project)
    assert demo.returncode == 0, demo.stderr
    return project


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
    from prefect.settings import PREFECT_API_URL, PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    project = _demo_project(tmp_path / "project")
    assert (project / "demo-report" / "fresh.csv").is_file() and (project / "demo-report" / "registry").is_dir()
    logs = [project / "worker.log", project / "serve.log", tmp_path / "home" / "server.log"]
    results = str(tmp_path / "results")  # the result storage the worker and this client share (the guide says so)
    with PrefectServer(tmp_path / "home", PREFECT_WORKER_QUERY_SECONDS="2", PREFECT_LOCAL_STORAGE_PATH=results) as server:
        deploy_as_shown(project, server, log=logs[0])  # guides/prefect.md: work-pool create, deploy, worker start
        with (
            temporary_settings(updates={PREFECT_API_URL: server.url, PREFECT_LOCAL_STORAGE_PATH: Path(results)}),
            get_client(sync_client=True) as client,
        ):
            monitor = client.read_deployment_by_name("monitor-production/production-monitor")
            run = client.create_flow_run_from_deployment(monitor.id)
            done = wait_for("the shipped monitor run finished", 300, lambda: _final(client, run.id), logs=logs)
            assert done.state.is_completed(), done.state.message
            assert (project / "demo-report" / "scheduled" / "monitor" / "report.json").is_file()
            assert len(client.read_automations()) == 1  # prefect deploy: the retrain's trigger

            # guides/prefect.md's Python block: run the deployment, read the report from the persisted result
            namespace = _run_with_timeout(python_example('run = run_deployment("retrain-and-gate/scheduled-retrain")'), 300)
            assert namespace["run"].state.is_completed(), namespace["run"].state
            assert namespace["report"]["decision"] == "promote"

            # guides/monitoring.md: one process serves both, the monitor on --fresh labelled/latest.csv
            [line] = doc_commands("guides/monitoring.md", SERVE_FRESH)
            (project / "labelled").mkdir()
            shutil.copy(project / "demo-report" / "fresh.csv", project / "labelled" / "latest.csv")
            server.start(*python_argv(line), cwd=project, log=logs[1])

            def served_all():  # serve registers the same three names again, with its module-path entrypoints
                found = [deployment_named(client, name) for name in SHIPPED]
                return all(d is not None and ":" not in (d.entrypoint or ":") for d in found)

            wait_for("serve re-registered the shipped deployments", 180, served_all, logs=logs)
            time.sleep(3)  # the triggers are applied right after each deployment
            names = Counter(f"{client.read_flow(d.flow_id).name}/{d.name}" for d in client.read_deployments() if d.name != "loop")
            assert names == Counter(SHIPPED), names  # one deployment per name
            automations = client.read_automations()
            assert [a.name for a in automations] == ["retrain scaled-logreg when the monitor says so"], automations

            served = client.read_deployment_by_name("monitor-production/production-monitor")
            assert served.parameters["fresh"] == str(project / "labelled" / "latest.csv")
            run = client.create_flow_run_from_deployment(served.id)  # the serving process picks it up and runs it
            done = wait_for("the served monitor run finished", 300, lambda: _final(client, run.id), logs=logs)
            assert done.state.is_completed(), done.state.message
    assert all(proc.poll() is not None for proc in server.procs)  # the server, worker and serve stopped by PID


def _run_with_timeout(code: str, timeout: float) -> dict:
    """Execute a docs' Python block in a thread (it waits for a flow run); fail past ``timeout`` instead of hanging."""
    import contextvars
    import threading

    namespace: dict = {}
    context = contextvars.copy_context()  # Prefect's temporary settings live in a context variable
    errors: list[BaseException] = []

    def run() -> None:
        try:
            exec(code, namespace)
        except BaseException as err:  # re-raised in the test's thread
            errors.append(err)

    thread = threading.Thread(target=context.run, args=(run,), daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"the block did not finish within {timeout:.0f} s"
    if errors:
        raise errors[0]
    return namespace


#: The monitoring guide's line that serves the retrain and the monitor from one process.
SERVE_FRESH = "python -m gapgates.deployments.serve --config deployments/gapgates.toml --fresh"
SHIPPED = (
    "retrain-and-gate/scheduled-retrain",
    "monitor-production/production-monitor",
    "stakeholder-digest/weekly-digest",
)
