"""deployments/prefect.yaml, read in-process: the cron deployment, its config file and its flow entrypoint."""

from __future__ import annotations

from tests.helpers import ROOT


def test_prefect_yaml_declares_a_cron_deployment_with_a_config_file():
    import yaml
    from prefect.flows import load_flow_from_entrypoint

    spec = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())
    (dep,) = spec["deployments"]
    assert dep["schedules"][0]["cron"] == "0 3 * * *"
    config = ROOT / dep["parameters"]["config_path"]
    assert config.is_file()
    flow = load_flow_from_entrypoint(dep["entrypoint"])  # a module path: the installed package, wherever the cwd
    assert flow.name == "retrain-and-gate"
    from gapgates.flows.retrain import gate_config, retrain_and_gate

    assert flow is retrain_and_gate
    assert gate_config(str(config)).model_name == "scaled-logreg"
