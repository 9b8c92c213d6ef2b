"""Approvals with the evidence, under a real worker: the reviewer sees the report before answering, answers from
the shell (``gapgates approve|reject``, the lines docs/guides/approvals.md shows), and the outcome is published and
recorded.

The project's prefect.yaml on a local server with a process worker; runs started with ``run_deployment``
and read back with Prefect's client.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from gapgates.demo import DEMO_POLICY_PATH
from tests.helpers import PrefectServer, deployed_project, doc_commands, run_cli_process

DEPLOYMENT = "retrain-and-gate/scheduled-retrain"
TREE = "sklearn.tree.DecisionTreeClassifier"


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("approval")
    (root / "project" / "data").mkdir(parents=True)
    from sklearn.datasets import load_breast_cancer

    load_breast_cancer(as_frame=True).frame.to_csv(root / "project" / "data" / "cancer.csv", index=False)
    policy = root / "approval.toml"
    policy.write_text(
        DEMO_POLICY_PATH.read_text().replace('on_fail = "block"', 'on_fail = "needs_approval"\napproval_timeout = 600')
    )
    toml = (
        f'data = "../data/cancer.csv"\ntarget = "target"\nmodel = "{TREE}"\npolicy = "{policy}"\n'
        'registry = "../registry"\npromote = true\nreport_url = "https://reports.example.invalid/tree"\n'
    )
    # the server as the Prefect guide starts one on another port: its UI, told where its API is
    [line] = [c for c in doc_commands("guides/prefect.md", "PREFECT_UI_API_URL=") if c.startswith("PREFECT_UI_API_URL=")]
    with PrefectServer(root / "home", command=line, PREFECT_UI_ENABLED="true") as server:
        yield server, deployed_project(root / "project", server, toml)


@contextmanager
def _api(server: PrefectServer) -> Iterator:
    """Prefect's client for the test's server."""
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:
        yield client


def _wait(server: PrefectServer, run_id, done, what: str):
    with _api(server) as client:
        deadline = time.monotonic() + 300
        while not done(run := client.read_flow_run(run_id)):
            assert time.monotonic() < deadline, f"the run never {what}: {run.state}"
            time.sleep(2)
        return run


def _paused_run(server: PrefectServer, name: str, out: str):
    """Start a run of the deployment and wait until it is Paused for approval."""
    from prefect.deployments import run_deployment

    with _api(server):
        run = run_deployment(DEPLOYMENT, parameters={"options": {"name": name, "out": out}}, timeout=0)

    def paused(r) -> bool:
        assert not r.state.is_final(), r.state
        return r.state.is_paused()

    return _wait(server, run.id, paused, "paused")


def _artifacts(server: PrefectServer, run_id) -> dict[str, object]:
    """The latest artifact of each key the run created."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with _api(server) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    return {a.key: a for a in sorted(found, key=lambda a: a.created)}


def _description(server: PrefectServer, run) -> str:
    from prefect.input.run_input import keyset_from_paused_state, read_flow_run_input

    with _api(server):
        return read_flow_run_input(keyset_from_paused_state(run.state)["description"], flow_run_id=run.id)


def _cli(server: PrefectServer, *args: str):
    import os

    old = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = server.url
    try:
        return run_cli_process(*args)
    finally:
        if old is None:
            os.environ.pop("PREFECT_API_URL")
        else:
            os.environ["PREFECT_API_URL"] = old


#: The id the approvals guide shows in its commands: the tests put the paused run's id in its place.
SHOWN_ID = "0b1c2d3e-0000-4000-8000-000000000000"


def _answer_as_shown(server: PrefectServer, verb: str, run_id) -> object:
    """Run the approvals guide's own ``gapgates approve`` or ``reject`` line on the paused run."""
    import shlex

    [line] = [c for c in doc_commands("guides/approvals.md", "gapgates approve 0b1c2d3e") if c.startswith(f"gapgates {verb} ")]
    assert SHOWN_ID in line
    return _cli(server, *shlex.split(line.replace(SHOWN_ID, str(run_id)))[1:])


def test_the_reviewer_sees_the_evidence_then_approves_from_the_shell(worker):
    server, project = worker
    run = _paused_run(server, "tree-approve", "out/approve")
    out = project / "out" / "approve"
    before = _artifacts(server, run.id)
    report = before["gapgates-tree-approve"].data
    assert "# gapgates: NEEDS APPROVAL" in report and "Waiting for a person's approval." in report
    assert "## Generalization gap" in report and "## Diagnosis: overfit" in report and "gap:accuracy" in report
    assert json.loads(before["gapgates-tree-approve-folds"].data)[0].keys() >= {"fold", "metric", "train", "test", "gap"}
    assert "https://reports.example.invalid/tree/report.html" in before["gapgates-tree-approve-html"].data
    assert json.loads((out / "report.json").read_text())["decision"] == "needs_approval"  # the files, before answering
    assert (out / "report.html").is_file()
    description = _description(server, run)
    assert f"/artifacts/artifact/{before['gapgates-tree-approve'].id})" in description
    assert "(https://reports.example.invalid/tree/report.html)" in description and "Diagnosis: **overfit**" in description

    answered = _answer_as_shown(server, "approve", run.id)  # --approver alice --reason "known shift, accepted"
    assert answered.returncode == 0, answered.stderr
    assert f"approved: flow run {run.id}" in answered.stdout

    done = _wait(server, run.id, lambda r: r.state.is_final(), "finished")
    assert done.state.is_completed(), done.state
    after = _artifacts(server, run.id)
    approval = after["gapgates-tree-approve-approval"].data
    final = json.loads((out / "report.json").read_text())
    # the module's registry is shared: another test of the module may have registered first (test workers reorder)
    version = final["registry"]["version"]
    assert final["registry"]["promoted"] is True and version.startswith("v"), final["registry"]
    assert f"APPROVED by alice: known shift, accepted. Outcome: promoted to production as {version}." in approval
    assert "| approved | alice | known shift, accepted |" in approval
    assert "APPROVED by alice" in after["gapgates-tree-approve"].data
    assert final["approval"] == {"approved": True, "actor": "alice", "reason": "known shift, accepted", "timed_out": False}
    assert "APPROVED by alice" in (out / "report.md").read_text() and "APPROVED by alice" in (out / "report.html").read_text()
    # the title says the outcome, no longer the question
    assert (out / "report.md").read_text().startswith("# gapgates: APPROVED\n")
    assert after["gapgates-tree-approve"].data.startswith("# gapgates: APPROVED\n")
    assert "NEEDS APPROVAL" not in (out / "report.html").read_text()
    from gapgates.history import History

    [recorded] = [r for r in History(project / "registry" / "history.sqlite").runs() if r.model == "tree-approve"]
    assert recorded.approval == final["approval"] and recorded.version == version


def test_a_rejection_from_the_shell_blocks_and_is_published(worker):
    server, project = worker
    run = _paused_run(server, "tree-reject", "out/reject")
    rejected = _answer_as_shown(server, "reject", run.id)  # --approver bob --reason "too risky"
    assert rejected.returncode == 0, rejected.stderr
    done = _wait(server, run.id, lambda r: r.state.is_final(), "finished")
    assert done.state.is_failed() and done.state.message.startswith("Blocked: approval rejected by bob: too risky")
    approval = _artifacts(server, run.id)["gapgates-tree-reject-approval"].data
    assert "REJECTED by bob: too risky. Outcome: registered as v" in approval
    final = json.loads((project / "out" / "reject" / "report.json").read_text())
    assert final["approval"]["actor"] == "bob" and final["registry"]["promoted"] is False

    again = _cli(server, "approve", str(run.id), "--approver", "carol")  # no longer paused: one line, exit 2
    assert again.returncode == 2 and "is not waiting for approval" in again.stderr and "Traceback" not in again.stderr


def test_the_prefect_ui_shows_the_paused_run_and_its_resume_form(worker, chromium, tmp_path):
    """The UI of a server started with the guide's PREFECT_UI_API_URL line finds its API: headless Chromium opens the
    paused run's page and its Resume form (as docs/screenshots.py does for approval-ui.png), which shows the evidence."""
    import importlib.util

    from tests.helpers import ROOT, assert_screenshot

    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
    assert spec is not None and spec.loader is not None
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)
    server, _ = worker
    run = _paused_run(server, "tree-ui", "out/ui")
    text = screenshots.paused_run_image(chromium, server, run.id, tmp_path / "approval-ui.png")
    assert "Resume Flow Run" in text and run.name in text and "tree-ui needs approval before promotion" in text, text
    assert "Diagnosis: overfit" in text and "gap:accuracy" in text and "Approver" in text, text
    assert_screenshot(tmp_path / "approval-ui.png", width=1400, min_height=1000)
