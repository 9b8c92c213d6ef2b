"""The production loop on a real Prefect server: a monitor run that decides ``retrain`` emits
``gapgates.monitor.retrain``, and the retrain deployment's trigger (a Prefect automation) starts the
retrain-and-gate run, which gates and promotes: nobody triggers the retrain by hand.

``deployments/serve.py`` serves both deployments from one process against a server started on
127.0.0.1 by the test and stopped by its PID.
"""

from __future__ import annotations

import sys

import pytest

from gapgates.registry import LocalRegistry
from tests.helpers import (
    PrefectServer,
    boundary_data,
    deployment_named,
    deployment_runs,
    invoke,
    monitor_data,
    promoted_for_monitoring,
    wait_for,
)


def _manual(client, deployment_id):
    """The runs of a deployment its schedule did not create."""
    return [r for r in deployment_runs(client, deployment_id) if not r.auto_scheduled]


def _final(client, run_id):
    run = client.read_flow_run(run_id)
    return run if run.state is not None and run.state.is_final() else None


@pytest.mark.slow
def test_a_retrain_decision_emits_the_event_and_the_automation_runs_the_retrain_gate(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter
    from prefect.settings import PREFECT_API_URL, temporary_settings

    registry, policy = promoted_for_monitoring(tmp_path)
    shifted = tmp_path / "shifted.csv"
    monitor_data(400, shift=2.5, seed=2).to_csv(shifted, index=False)
    config = tmp_path / "gapgates.toml"
    config.write_text(
        f'data = "{tmp_path / "train.csv"}"\ntarget = "label"\nmodel = "sklearn.linear_model.LogisticRegression"\n'
        f'params = {{max_iter = 1000}}\nname = "clf"\npolicy = "{policy}"\nout = "{tmp_path / "out"}"\n'
        f'registry = "{registry}"\npromote = true\n'
    )
    logs = [tmp_path / "serve.log", tmp_path / "home" / "server.log"]
    with PrefectServer(tmp_path / "home") as server:
        server.start(
            sys.executable,
            "-m",
            "gapgates.deployments.serve",
            "--config",
            str(config),
            "--name",
            "loop",
            "--monitor-name",
            "loop-monitor",
            "--fresh",
            str(shifted),
            log=logs[0],
        )
        with temporary_settings(updates={PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:
            retrain = wait_for(
                "the retrain deployment registered", 180, lambda: deployment_named(client, "retrain-and-gate/loop"), logs=logs
            )
            monitor = wait_for(
                "the monitor deployment registered",
                60,
                lambda: deployment_named(client, "monitor-production/loop-monitor"),
                logs=logs,
            )
            automations = client.read_resource_related_automations(f"prefect.deployment.{retrain.id}")
            assert [a.trigger.expect for a in automations] == [{"gapgates.monitor.retrain"}]
            assert _manual(client, retrain.id) == []  # the daily cron's runs are scheduled ahead: not these

            run = client.create_flow_run_from_deployment(monitor.id)
            done = wait_for("the monitor run finished", 240, lambda: _final(client, run.id), logs=logs)
            assert done.state.is_completed(), done.state.message
            report = done.state.result()
            assert report["decision"] == "retrain" and report["drift"]["drifted"][0] == "x0"

            retrain_events = EventFilter(event=EventNameFilter(name=["gapgates.monitor.retrain"]))
            (event,) = wait_for(
                "the retrain event stored",
                60,  # the client's default limit (100) is above the server's 50
                lambda: client.read_events(retrain_events, limit=50).events,
                logs=logs,
            )
            assert event.resource.id == "gapgates.model.clf"
            assert event.payload["model"] == "clf" and event.payload["version"] == "v1"
            assert event.payload["production_gap"] == report["gap"]["accuracy"]["gap_mean"] > 0.05
            assert event.payload["drift_auc"] == report["drift"]["auc"] and "x0" in event.payload["drifted_columns"]

            (triggered,) = wait_for("the automation created no retrain run", 120, lambda: _manual(client, retrain.id), logs=logs)
            assert triggered.created_by is not None and triggered.created_by.type == "AUTOMATION"
            assert triggered.created_by.id == automations[0].id and not triggered.auto_scheduled
            gated = wait_for("the triggered retrain run finished", 240, lambda: _final(client, triggered.id), logs=logs)
            assert gated.state.is_completed(), gated.state.message
    reg = LocalRegistry(registry)
    assert reg.production == "v2" and reg.audit()[-1].action == "promote"
    from gapgates.history import History

    kinds = [(r.kind, r.decision) for r in History(registry / "history.sqlite").runs()]
    assert ("monitor", "retrain") in kinds and kinds[-1] == ("gate", "promote")


@pytest.mark.slow
def test_an_estimated_retrain_emits_the_event_marked_estimated_and_the_labels_later_check_the_estimate(tmp_path):
    """Issue 31 on a real Prefect server: a version promoted by the CLI is monitored on an *unlabelled* shifted batch;
    the estimate alone decides retrain, the event's payload says ``estimated``, the automation starts the retrain run;
    later the labelled rows of the same batch record estimate vs actual, which the digest shows."""
    import json

    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter
    from prefect.settings import PREFECT_API_URL, temporary_settings

    train, policy, registry = tmp_path / "train.csv", tmp_path / "policy.toml", tmp_path / "registry"
    boundary_data(1500).to_csv(train, index=False)
    policy.write_text(  # the drift rules off: the retrain must come from the estimate alone
        "[gap]\nmax_gap = 0.1\n[noise]\nmax_rate = 0.3\nmax_confident_error_ratio = 100\n"
        "[monitor]\nmax_drift_auc = 1.0\nmax_drifted_share = 1.0\nmax_support_auc = 1.0\n"
    )
    gate = invoke(
        "check", "--data", train, "--target", "label", "--model", "sklearn.linear_model.LogisticRegression",
        "--name", "clf", "--registry", registry, "--promote", "--policy", policy, "--out", tmp_path / "gate",
    )  # fmt: skip
    assert gate.exit_code == 0, gate.output
    shifted = boundary_data(1000, spread=0.35, seed=21)
    unlabelled, labelled = tmp_path / "unlabelled.csv", tmp_path / "labelled.csv"
    shifted.drop(columns=["label"]).to_csv(unlabelled, index=False)
    shifted.to_csv(labelled, index=False)
    config = tmp_path / "gapgates.toml"
    config.write_text(  # the triggered retrain gates and registers v2 without promoting it: v1 stays the one estimated
        f'data = "{train}"\ntarget = "label"\nmodel = "sklearn.linear_model.LogisticRegression"\nname = "clf"\n'
        f'policy = "{policy}"\nout = "{tmp_path / "out"}"\nregistry = "{registry}"\npromote = false\n'
    )
    logs = [tmp_path / "serve.log", tmp_path / "home" / "server.log"]
    with PrefectServer(tmp_path / "home") as server:
        server.start(
            sys.executable, "-m", "gapgates.deployments.serve", "--config", str(config), "--name", "loop",
            "--monitor-name", "loop-monitor", "--fresh", str(unlabelled), "--no-digest", log=logs[0],
        )  # fmt: skip
        with temporary_settings(updates={PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:
            retrain = wait_for(
                "the retrain deployment registered", 180, lambda: deployment_named(client, "retrain-and-gate/loop"), logs=logs
            )
            monitor = wait_for(
                "the monitor deployment registered",
                60,
                lambda: deployment_named(client, "monitor-production/loop-monitor"),
                logs=logs,
            )
            run = client.create_flow_run_from_deployment(monitor.id)
            done = wait_for("the monitor run finished", 240, lambda: _final(client, run.id), logs=logs)
            assert done.state.is_completed(), done.state.message
            report = done.state.result()
            assert report["labels"] is False and report["decision"] == "retrain"
            assert [c["name"] for c in report["checks"] if c["status"] == "fail"] == ["estimated_gap:accuracy"]

            retrain_events = EventFilter(event=EventNameFilter(name=["gapgates.monitor.retrain"]))
            (event,) = wait_for(
                "the retrain event stored", 60, lambda: client.read_events(retrain_events, limit=50).events, logs=logs
            )
            assert event.resource.id == "gapgates.model.clf" and event.payload["estimated"] is True
            estimated = report["estimate"]["scores"]["accuracy"]["gap_mean"]
            assert event.payload["production_gap"] == estimated > 0.05 and event.payload["version"] == "v1"

            (triggered,) = wait_for("the automation created no retrain run", 120, lambda: _manual(client, retrain.id), logs=logs)
            assert triggered.created_by is not None and triggered.created_by.type == "AUTOMATION"
            gated = wait_for("the triggered retrain run finished", 240, lambda: _final(client, triggered.id), logs=logs)
            assert gated.state.is_completed(), gated.state.message
    reg = LocalRegistry(registry)
    assert reg.production == "v1" and [v.version for v in reg.versions()] == ["v1", "v2"]

    later = invoke("monitor", "--registry", registry, "--model-name", "clf", "--data", labelled, "--policy", policy)
    assert later.exit_code == 1 and "labels for a batch estimated earlier" in later.output, later.output
    digest = invoke("digest", "--history", registry / "history.sqlite", "--registry", registry, "--out", tmp_path / "d")
    assert digest.exit_code == 0, digest.output
    (model,) = json.loads((tmp_path / "d" / "digest.json").read_text())["models"]
    assert model["estimated_gap"]["decision"] == model["production_gap"]["decision"] == "retrain"
    (pair,) = model["estimate_accuracy"]["last"]
    assert pair["version"] == "v1" and pair["estimated_gap"] == pytest.approx(estimated) and pair["actual_gap"] > 0.05
