"""deployments/prefect.yaml, read in-process: the cron deployment, its config file and its flow entrypoint."""

from __future__ import annotations

from tests.helpers import ROOT


def test_prefect_yaml_declares_a_cron_deployment_with_a_config_file():
    import yaml
    from prefect.flows import load_flow_from_entrypoint

    spec = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())
    dep, _monitor = spec["deployments"]
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
    import yaml
    from gapgates.flows.monitor import RETRAIN_EVENT, monitor_production, retrain_trigger
    from gapgates.flows.retrain import gate_config
    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
    from prefect.flows import load_flow_from_entrypoint

    retrain, monitor = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())["deployments"]
    model = gate_config(str(ROOT / retrain["parameters"]["config_path"])).model_name
    (trigger,) = [DeploymentEventTrigger.model_validate(t) for t in retrain["triggers"]]
    assert trigger.model_dump() == retrain_trigger(model).model_dump()
    assert trigger.expect == {RETRAIN_EVENT} and trigger.parameters is None  # the deployment's own parameters
    assert load_flow_from_entrypoint(monitor["entrypoint"]) is monitor_production
    assert monitor["parameters"]["config_path"] == retrain["parameters"]["config_path"] and monitor["schedules"]
