"""Serve the ``retrain-and-gate`` flow on a cron schedule from this process (no work pool needed).

    python -m gapgates.deployments.serve --config deployments/gapgates.toml --cron "0 3 * * *"

The retrain deployment also carries a deployment trigger: a ``gapgates.monitor.retrain`` event about
its model (emitted by the ``monitor-production`` flow) starts a run. With ``--fresh`` the same process
serves ``monitor-production/<name>-monitor`` on ``--monitor-cron``, monitoring the production model
on the newly labelled rows of that file: the whole loop from one process.

Trigger a run now (another shell, same ``PREFECT_API_URL``)::

    prefect deployment run retrain-and-gate/nightly-retrain
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_CRON = "0 3 * * *"
DEFAULT_MONITOR_CRON = "0 6 * * *"


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="deployments/gapgates.toml", help="gapgates.toml the runs use.")
    parser.add_argument("--name", default="nightly-retrain", help="Deployment name.")
    parser.add_argument("--cron", default=DEFAULT_CRON, help=f"Cron schedule (default {DEFAULT_CRON!r}, UTC).")
    parser.add_argument("--fresh", help="Newly labelled rows: also serve the monitor-production deployment on them.")
    parser.add_argument("--monitor-cron", default=DEFAULT_MONITOR_CRON,
                        help=f"Cron schedule of the monitor (default {DEFAULT_MONITOR_CRON!r}, UTC).")
    args = parser.parse_args(argv)
    config = Path(args.config)
    if not config.is_file():
        parser.error(f"Config file '{config}' does not exist. Pass an existing gapgates.toml to --config.")
    if args.fresh is not None and not Path(args.fresh).is_file():
        parser.error(f"Fresh data '{args.fresh}' does not exist. Pass the newly labelled rows (CSV or Parquet).")

    from gapgates.flows import monitor_production, retrain_and_gate
    from gapgates.flows.monitor import retrain_trigger
    from gapgates.flows.retrain import gate_config
    from prefect import serve
    from prefect.types.entrypoint import EntrypointType

    from gapgates.errors import GapGatesError

    try:
        model = gate_config(str(config)).model_name
    except GapGatesError as err:
        parser.error(str(err))
    # A module-path entrypoint (gapgates.flows.retrain.retrain_and_gate): the deployment names the
    # installed module, not a file path relative to the directory this was started in.
    deployments = [retrain_and_gate.to_deployment(
        name=args.name,
        cron=args.cron,
        parameters={"config_path": str(config.resolve())},
        triggers=[retrain_trigger(model)],
        tags=["gapgates"],
        description="Retrain and gate promotion on the generalization gap; also when the monitor says so.",
        entrypoint_type=EntrypointType.MODULE_PATH,
    )]
    if args.fresh is not None:
        deployments.append(monitor_production.to_deployment(
            name=f"{args.name}-monitor",
            cron=args.monitor_cron,
            parameters={"config_path": str(config.resolve()), "fresh": str(Path(args.fresh).resolve())},
            tags=["gapgates"],
            description="Monitor the production model on newly labelled rows; emit gapgates.monitor.retrain.",
            entrypoint_type=EntrypointType.MODULE_PATH,
        ))
    serve(*deployments)


if __name__ == "__main__":
    main()
