"""The ``monitor-production`` flow: ``gapgates monitor`` as Prefect tasks, and the retrain event.

A scheduled run scores the production version on the fresh rows and records the report and its history row
(:func:`gapgates.monitor.run_monitor`, :func:`~gapgates.monitor.publish_monitor`). Rows without the target column
are monitored without labels: the score is estimated from the model's confidence, and a breached estimate emits
the same event with ``estimated: true`` in its payload; the labelled run of the same batch later records
estimate vs actual (:func:`gapgates.monitor.check_estimate`).
When the decision is ``retrain`` it emits the Prefect event :data:`RETRAIN_EVENT` about the model
(resource ``gapgates.model.<name>``), with the evidence as its payload
(:func:`gapgates.monitor.monitor_evidence`: version, production gap, drift AUC, drifted columns...).
The ``retrain-and-gate`` deployments carry a deployment trigger on that event
(``deployments/prefect.yaml``, ``deployments/serve.py``): the retrain and its gate run without a human.

The run ends Completed with the report whatever the decision (``ok``, ``warn`` or ``retrain``: the
event is the signal); bad input ends it Failed with the one-line error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gapgates.flows.retrain import gate_config, refused
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
from prefect.states import Failed

from gapgates.config import CheckConfig
from gapgates.errors import ConfigError, GapGatesError

__all__ = ["RETRAIN_EVENT", "emit_retrain", "model_resource", "monitor_production", "monitor_task", "retrain_trigger"]

#: The event a ``retrain`` decision emits; the retrain deployments' triggers expect it.
RETRAIN_EVENT = "gapgates.monitor.retrain"


def model_resource(name: str) -> dict[str, str]:
    """The Prefect resource an event about a model is about: ``gapgates.model.<name>``."""
    return {"prefect.resource.id": f"gapgates.model.{name}", "prefect.resource.name": name}


def retrain_trigger(model: str) -> DeploymentEventTrigger:
    """The deployment trigger of a retrain deployment: run it when a monitor decides ``model`` needs a retrain.

    The run gets the deployment's own parameters (its ``gapgates.toml``). ``deployments/prefect.yaml``
    declares the same trigger in YAML.

    Args:
        model: The model's name (``name`` in its ``gapgates.toml``); ``*`` matches every model.

    Example:
        >>> retrain_trigger("clf").match.model_dump()
        {'prefect.resource.id': 'gapgates.model.clf'}
    """
    return DeploymentEventTrigger(
        name=f"retrain {model} when the monitor says so",
        expect={RETRAIN_EVENT},
        match={"prefect.resource.id": model_resource(model)["prefect.resource.id"]},
    )


@task(name="monitor", cache_policy=NO_CACHE)
def monitor_task(
    config: CheckConfig, fresh: str, out: str | None, batch: str | None = None, id_column: str | None = None
) -> dict[str, Any]:
    """Score the production version on ``fresh`` (or estimate its score when the rows have no labels), measure drift,
    decide; write the report and the history row."""
    from gapgates.monitor import check_estimate, monitor_report, publish_monitor, run_monitor

    if config.registry is None:
        raise ConfigError("The monitor needs the registry of the production model. Set 'registry' in the gapgates.toml.")
    result = run_monitor(
        fresh,
        registry=config.registry,
        model_name=config.model_name,
        target=config.target,
        policy=config.policy,
        seed=config.seed,
        batch=batch,
        id_column=id_column,
    )
    report = check_estimate(monitor_report(result), config.history_path)
    publish_monitor(report, out=out, history=config.history_path)
    return report


@task(name="emit-retrain-event", cache_policy=NO_CACHE)
def emit_retrain(report: dict[str, Any]) -> str | None:
    """Emit :data:`RETRAIN_EVENT` with the run's evidence when it decided ``retrain``.

    Returns:
        The event's id, or None when the decision is not ``retrain`` (nothing emitted).
    """
    from gapgates.monitor import monitor_evidence

    if report["decision"] != "retrain":
        return None
    evidence = monitor_evidence(report)
    event = emit_event(event=RETRAIN_EVENT, resource=model_resource(evidence["model"]), payload=evidence)
    return None if event is None else str(event.id)


@flow(name="monitor-production", validate_parameters=True, persist_result=True)
def monitor_production(
    config_path: str | None = None,
    fresh: str = "",
    out: str | None = None,
    options: dict[str, Any] | None = None,
    batch: str | None = None,
    id_column: str | None = None,
) -> Any:
    """Monitor the production model on fresh rows, labelled or not; emit the retrain event when it needs one.

    Args:
        config_path: The model's ``gapgates.toml`` (``registry``, ``name``, ``target``, ``policy``,
            ``history``, ``out``: the retrain deployment's).
        fresh: The fresh rows (CSV or Parquet); without the target column the score is estimated.
        out: The monitor's report directory (default: ``monitor/`` under the config's ``out``).
        options: Options overriding the file.
        batch: The batch's id (default: a hash of ``id_column``'s values, else of the feature columns).
        id_column: A column of row ids naming the batch.

    Returns:
        The monitor report (Completed), or a Failed state with the one-line error, or a Failed state
        holding the report when it decided ``retrain`` but the event could not be emitted.
    """
    logger = get_run_logger()
    try:
        config = gate_config(config_path, options)
        if not fresh:
            raise ConfigError("The monitor needs the newly labelled rows. Pass the 'fresh' parameter (a CSV or Parquet file).")
        target = out if out is not None else (None if config.out is None else str(Path(config.out) / "monitor"))
        report = monitor_task(config, fresh, target, batch, id_column)
    except GapGatesError as err:
        return refused(err)
    event = emit_retrain(report)
    logger.info(
        "monitor %s %s%s: %s%s",
        report["model"]["name"],
        report["registry"]["version"],
        "" if report.get("labels", True) else " (estimated without labels)",
        report["decision"],
        "" if event is None else f" (event {RETRAIN_EVENT} {event})",
    )
    if report["decision"] == "retrain" and event is None:
        # Prefect could not send the event (no API, events disabled): nothing will retrain, so say so loudly
        message = (
            f"gapgates: the monitor decided retrain, but the {RETRAIN_EVENT} event could not be emitted, so no "
            "retrain will start. Check PREFECT_API_URL and that events reach the server; the report is written."
        )
        logger.error(message)
        return Failed(message=message, data=report)
    return report
