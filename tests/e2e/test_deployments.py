"""Deployments: a real ``prefect server`` on 127.0.0.1, the flows served on cron schedules (the nightly gate, the weekly
digest), run_deployment."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from gapgates.demo import DEMO_POLICY_PATH
from tests.helpers import ROOT, PrefectServer


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
