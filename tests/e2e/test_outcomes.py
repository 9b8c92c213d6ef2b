"""Prefect-native outcomes under a real worker: the project's prefect.yaml on a local server, runs started with
``run_deployment`` and read back with Prefect's client only.

A blocked run ends Failed with a short message and no engine error in any log; the report comes back from
``state.result()``; the HTML report is linked at an http(s) URL, never a file:// path; report paths are
normalised.
"""

from __future__ import annotations

import time

import pytest

from gapgates.demo import DEMO_POLICY_PATH
from gapgates.errors import RunBlocked
from tests.helpers import PrefectServer, deployed_project

DEPLOYMENT = "retrain-and-gate/scheduled-retrain"
REPORT_URL = "https://reports.example.invalid/nightly"
ENGINE_ERRORS = ("Traceback", "unexpected exception", "Unexpected result", "TypeError")


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """A server, the project's deployment and a process worker; the config reaches the data through '..'."""
    root = tmp_path_factory.mktemp("outcomes")
    (root / "project" / "data").mkdir(parents=True)
    from sklearn.datasets import load_breast_cancer

    load_breast_cancer(as_frame=True).frame.to_csv(root / "project" / "data" / "cancer.csv", index=False)
    toml = (
        f'data = "../data/cancer.csv"\ntarget = "target"\nmodel = "gapgates.demo.scaled_logistic_regression"\n'
        f'name = "nightly"\npolicy = "{DEMO_POLICY_PATH}"\nout = "../out"\nreport_url = "{REPORT_URL}"\n'
    )
    with PrefectServer(root / "home") as server:
        yield server, deployed_project(root / "project", server, toml)


def _run(server: PrefectServer, **options):
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.url}):
        run = run_deployment(DEPLOYMENT, parameters={"options": options} if options else {}, timeout=300, poll_interval=2)
    assert run.state.is_final(), run.state
    return run


def _logs(server: PrefectServer, flow_run_id) -> list[str]:
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:
        return [log.message for log in client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))]


def _logs_mentioning(server: PrefectServer, flow_run_id, text: str, *, at_least: int, wait: float = 90.0) -> list[str]:
    """The run's logs once `at_least` lines mention `text`: the worker ships logs in batches after the run ends."""
    deadline = time.monotonic() + wait
    while True:
        logs = _logs(server, flow_run_id)
        if sum(text in line for line in logs) >= at_least or time.monotonic() > deadline:
            return logs
        time.sleep(0.5)


def _artifact(server: PrefectServer, key: str):
    from prefect.artifacts import Artifact
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.url}):
        return Artifact.get(key)


def test_a_promoted_run_returns_its_report_to_the_client(worker):
    server, project = worker
    run = _run(server)
    assert run.state.is_completed(), run.state
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.url}):
        report = run.state.result()  # persisted by the worker, read back by this client
    assert report["decision"] == "promote" and report["model"]["name"] == "nightly"
    # deployments/../data/cancer.csv, as written in the config, is reported as data/cancer.csv (the worker's cwd)
    assert report["data"]["path"] == report["config"]["data"] == "data/cancer.csv"
    assert report["config"]["out"] == "out" and (project / "out" / "report.html").is_file()
    link = _artifact(server, "gapgates-nightly-html")
    assert link.flow_run_id == run.id and f"({REPORT_URL}/report.html)" in link.data and "file:" not in link.data
    markdown = _artifact(server, "gapgates-nightly")
    assert f"[report.html]({REPORT_URL}/report.html)" in markdown.data and "file:" not in markdown.data


def test_a_blocked_run_fails_briefly_without_engine_errors(worker):
    server, project = worker
    run = _run(server, model="sklearn.tree.DecisionTreeClassifier", name="tree")
    assert run.state.is_failed()
    message = run.state.message
    print("state message:", message)
    assert message.startswith("Blocked: ") and "accuracy gap" in message and len(message) < 700
    logs = "\n".join(_logs_mentioning(server, run.id, "Blocked", at_least=1))
    assert not [e for e in ENGINE_ERRORS if e in logs], logs[-3000:]
    worker_log = (project / "worker.log").read_text()
    assert not [e for e in ("Unexpected result", "unexpected exception") if e in worker_log], worker_log[-3000:]
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.url}):
        blocked = run.state.result(raise_on_failure=False)
        with pytest.raises(RunBlocked, match=r"^Blocked: "):
            run.state.result()
    assert isinstance(blocked, RunBlocked) and blocked.report["decision"] == "block"
    assert blocked.report["diagnosis"]["label"] == "overfit" and str(blocked) == message


def test_a_refused_run_is_one_line_in_every_log(worker):
    server, project = worker
    before = (project / "worker.log").read_text()
    run = _run(server, target="no_such_column")
    assert run.state.is_failed()
    message = run.state.message
    assert message.startswith("gapgates: error: The target column 'no_such_column' is not in the data") and "\n" not in message
    logs = _logs_mentioning(server, run.id, "no_such_column", at_least=3)
    assert not [e for e in ENGINE_ERRORS if any(e in line for line in logs)], logs
    said = [line for line in logs if "no_such_column" in line]
    # one line each: the load-data task's Failed state, the flow's error, the flow's Failed state; no traceback
    assert len(said) == 3 and not [line for line in said if "\n" in line], said
    worker_log = (project / "worker.log").read_text()[len(before) :]
    assert "Traceback" not in worker_log and "unexpected exception" not in worker_log, worker_log[-3000:]
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from gapgates.errors import GapGatesError

    with temporary_settings(updates={PREFECT_API_URL: server.url}):
        error = run.state.result(raise_on_failure=False)
    assert isinstance(error, GapGatesError) and str(error) in message and error.kind == "ConfigError"
