"""deployments/prefect.yaml, read in-process: the cron deployments, their parameters and flow entrypoints, and that
serve.py serves the digest with the same parameters."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT


def _deployments() -> dict[str, dict]:
    import yaml

    spec = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())
    return {dep["name"]: dep for dep in spec["deployments"]}


def test_prefect_yaml_declares_a_cron_deployment_with_a_config_file():
    from prefect.flows import load_flow_from_entrypoint

    deployments = _deployments()
    assert set(deployments) == {"scheduled-retrain", "production-monitor", "weekly-digest"}
    dep = deployments["scheduled-retrain"]
    assert dep["schedules"][0]["cron"] == "0 3 * * *"
    config = ROOT / dep["parameters"]["config_path"]
    assert config.is_file()
    flow = load_flow_from_entrypoint(dep["entrypoint"])  # a module path: the installed package, wherever the cwd
    assert flow.name == "retrain-and-gate"
    from gapgates.flows.retrain import gate_config, retrain_and_gate

    assert flow is retrain_and_gate
    assert gate_config(str(config)).model_name == "scaled-logreg"


def test_the_retrain_deployment_is_triggered_by_the_monitors_event_about_its_model():
    """prefect.yaml's trigger is the one serve.py attaches (``retrain_trigger``) for the model its config names,
    and the monitor deployment runs the monitor-production flow on the same config."""
    from gapgates.flows.monitor import RETRAIN_EVENT, monitor_production, retrain_trigger
    from gapgates.flows.retrain import gate_config
    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
    from prefect.flows import load_flow_from_entrypoint

    retrain, monitor = _deployments()["scheduled-retrain"], _deployments()["production-monitor"]
    model = gate_config(str(ROOT / retrain["parameters"]["config_path"])).model_name
    (trigger,) = [DeploymentEventTrigger.model_validate(t) for t in retrain["triggers"]]
    assert trigger.model_dump() == retrain_trigger(model).model_dump()
    assert trigger.expect == {RETRAIN_EVENT} and trigger.parameters is None  # the deployment's own parameters
    assert load_flow_from_entrypoint(monitor["entrypoint"]) is monitor_production
    assert monitor["parameters"]["config_path"] == retrain["parameters"]["config_path"] and monitor["schedules"]


def test_the_weekly_digest_deployment_agrees_with_serve_py():
    from gapgates.deployments.serve import DIGEST_CRON, digest_parameters
    from gapgates.flows.digest import stakeholder_digest
    from prefect.flows import load_flow_from_entrypoint

    dep = _deployments()["weekly-digest"]
    assert load_flow_from_entrypoint(dep["entrypoint"]) is stakeholder_digest
    assert [s["cron"] for s in dep["schedules"]] == [DIGEST_CRON] == ["0 7 * * 1"]
    assert dep["work_pool"] == _deployments()["scheduled-retrain"]["work_pool"]
    served = digest_parameters(ROOT / _deployments()["scheduled-retrain"]["parameters"]["config_path"])

    def absolute(value):
        return [absolute(v) for v in value] if isinstance(value, list) else str((ROOT / value).resolve())

    assert {key: absolute(value) for key, value in dep["parameters"].items()} == served  # paths from the project root
    assert set(dep["parameters"]) <= set(stakeholder_digest.parameters.properties)


def test_serve_py_serves_no_digest_for_a_config_without_history(tmp_path):
    from gapgates.deployments.serve import digest_parameters

    config = tmp_path / "gapgates.toml"
    config.write_text('data = "d.csv"\ntarget = "y"\nmodel = "m.M"\n')
    assert digest_parameters(config) is None
    config.write_text('data = "d.csv"\ntarget = "y"\nmodel = "m.M"\nout = "reports/run"\n')
    assert digest_parameters(config) == {
        "history": str(tmp_path / "reports" / "history.sqlite"),
        "registries": [],
        "policy": None,
        "out": str(tmp_path / "reports" / "digest"),
    }
    assert Path(digest_parameters(config)["out"]).is_absolute()


def test_serve_py_registers_the_names_prefect_yaml_declares():
    """The two set-ups are alternatives over the same deployments: either one registers the same three names, so
    running both leaves one deployment per name, and one automation (Prefect replaces a deployment's own)."""
    from gapgates.deployments.serve import NAMES
    from prefect.flows import load_flow_from_entrypoint

    yaml_names = {load_flow_from_entrypoint(dep["entrypoint"]).name: name for name, dep in _deployments().items()}
    assert yaml_names == {
        "retrain-and-gate": NAMES["retrain"],
        "monitor-production": NAMES["monitor"],
        "stakeholder-digest": NAMES["digest"],
    }
    for option, key in (("--name", "retrain"), ("--monitor-name", "monitor"), ("--digest-name", "digest")):
        assert f'"{option}", default=NAMES["{key}"]' in (ROOT / "deployments" / "serve.py").read_text()


def test_the_shipped_config_and_prefect_yaml_read_what_the_demo_writes(tmp_path):
    """`gapgates demo --out demo-report` (make demo) writes every file the shipped deployments read."""
    from gapgates.flows.retrain import gate_config

    config = gate_config(str(ROOT / "deployments" / "gapgates.toml"))
    demo = (ROOT / "demo-report").resolve()
    assert Path(config.data).resolve() == demo / "breast_cancer.csv"
    assert Path(config.registry).resolve() == demo / "registry" and config.model_name == "scaled-logreg"
    assert config.history_path.resolve() == demo / "history.sqlite"
    monitor = _deployments()["production-monitor"]["parameters"]
    assert (ROOT / monitor["fresh"]).resolve() == demo / "fresh.csv"
    assert (ROOT / _deployments()["weekly-digest"]["parameters"]["history"]).resolve() == demo / "history.sqlite"
