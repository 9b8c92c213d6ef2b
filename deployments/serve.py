"""Serve the ``retrain-and-gate`` flow on a cron schedule, and the weekly ``stakeholder-digest``, from this process
(no work pool needed).

    python -m gapgates.deployments.serve --config deployments/gapgates.toml --cron "0 3 * * *"

This is the alternative to ``deployments/prefect.yaml`` with a worker, not an addition: it registers the same
deployments under the same names (``retrain-and-gate/scheduled-retrain``, ``monitor-production/production-monitor``,
``stakeholder-digest/weekly-digest``: :data:`NAMES`), so running both leaves one deployment per name (the one
registered last, which its own process or worker runs) and one automation per retrain deployment: Prefect replaces
the automations a deployment owns when it is registered again. Another ``--name`` is another deployment, with its own
automation: both would retrain on one event.

The retrain deployment also carries a deployment trigger: a ``gapgates.monitor.retrain`` event about
its model (emitted by the ``monitor-production`` flow) starts a run. With ``--fresh`` the same process
serves ``monitor-production/production-monitor`` (``--monitor-name``) on ``--monitor-cron``, monitoring the production model
on the newly labelled rows of that file: the whole loop from one process.

The digest reads the history, registry and policy of the same ``gapgates.toml`` and writes into ``digest/`` beside
its reports (:func:`digest_parameters`: the same parameters as prefect.yaml's ``weekly-digest``).

Trigger a run now (another shell, same ``PREFECT_API_URL``)::

    prefect deployment run retrain-and-gate/scheduled-retrain
    prefect deployment run stakeholder-digest/weekly-digest
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_CRON = "0 3 * * *"
DEFAULT_MONITOR_CRON = "0 6 * * *"

#: The digest's schedule: Mondays 07:00 UTC, after the nightly run.
DIGEST_CRON = "0 7 * * 1"

#: The deployments' names, by flow: prefect.yaml's, so that either set-up registers the same deployments.
NAMES = {"retrain": "scheduled-retrain", "monitor": "production-monitor", "digest": "weekly-digest"}


def digest_parameters(config_path: str | Path) -> dict[str, Any] | None:
    """The ``stakeholder-digest`` parameters of a ``gapgates.toml``: its history, its directory registry, its policy,
    and ``out`` = ``digest/`` beside its report directory (or beside the history); absolute paths.

    Returns:
        The parameters, or None when the config records no history (no ``history``, ``registry`` or ``out``).

    Raises:
        ConfigError: On a config file that does not load.
    """
    from gapgates.config import merge_config
    from gapgates.registry import backend_for

    config = merge_config(config_path)
    history = config.history_path
    if history is None:
        return None
    registries: list[str] = []
    if config.registry is not None and backend_for(config.registry).one_model:  # what the digest reads: one model each
        registries = [str(Path(config.registry).resolve())]
    out = (Path(config.out).parent if config.out is not None else history.parent) / "digest"
    return {
        "history": str(history.resolve()),
        "registries": registries,
        "policy": None if config.policy is None else str(Path(config.policy).resolve()),
        "out": str(out.resolve()),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="deployments/gapgates.toml", help="gapgates.toml the runs use.")
    parser.add_argument("--name", default=NAMES["retrain"], help="Name of the retrain deployment (prefect.yaml's).")
    parser.add_argument("--cron", default=DEFAULT_CRON, help=f"Cron schedule (default {DEFAULT_CRON!r}, UTC).")
    parser.add_argument(
        "--fresh",
        help="Fresh rows (labelled, or not: then the score is estimated): also serve the monitor-production deployment.",
    )
    parser.add_argument("--monitor-name", default=NAMES["monitor"], help="Name of the monitor deployment (prefect.yaml's).")
    parser.add_argument(
        "--monitor-cron",
        default=DEFAULT_MONITOR_CRON,
        help=f"Cron schedule of the monitor (default {DEFAULT_MONITOR_CRON!r}, UTC).",
    )

    parser.add_argument("--digest-name", default=NAMES["digest"], help="Name of the digest deployment (prefect.yaml's).")
    parser.add_argument("--digest-cron", default=DIGEST_CRON, help=f"The digest's cron (default {DIGEST_CRON!r}, UTC).")
    parser.add_argument("--no-digest", action="store_true", help="Serve the retrain flow only.")
    args = parser.parse_args(argv)
    config = Path(args.config)
    if not config.is_file():
        parser.error(f"Config file '{config}' does not exist. Pass an existing gapgates.toml to --config.")
    if args.fresh is not None and not Path(args.fresh).is_file():
        parser.error(f"Fresh data '{args.fresh}' does not exist. Pass the fresh rows (CSV or Parquet).")

    from gapgates.flows import monitor_production, retrain_and_gate, stakeholder_digest
    from gapgates.flows.monitor import retrain_trigger
    from gapgates.flows.retrain import gate_config
    from prefect import serve
    from prefect.types.entrypoint import EntrypointType

    from gapgates.errors import GapGatesError

    try:
        model = gate_config(str(config)).model_name
        digest = None if args.no_digest else digest_parameters(config)
    except GapGatesError as err:
        parser.error(str(err))
    # A module-path entrypoint (gapgates.flows.retrain.retrain_and_gate): the deployment names the
    # installed module, not a file path relative to the directory this was started in.
    deployments = [
        retrain_and_gate.to_deployment(
            name=args.name,
            cron=args.cron,
            parameters={"config_path": str(config.resolve())},
            triggers=[retrain_trigger(model)],
            tags=["gapgates"],
            description="Retrain and gate promotion on the generalization gap; also when the monitor says so.",
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
    ]
    if args.fresh is not None:
        deployments.append(
            monitor_production.to_deployment(
                name=args.monitor_name,
                cron=args.monitor_cron,
                parameters={"config_path": str(config.resolve()), "fresh": str(Path(args.fresh).resolve())},
                tags=["gapgates"],
                description="Monitor the production model on fresh rows (estimated without labels); emit "
                "gapgates.monitor.retrain.",
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    if digest is not None:
        deployments.append(
            stakeholder_digest.to_deployment(
                name=args.digest_name,
                cron=args.digest_cron,
                parameters=digest,
                tags=["gapgates"],
                description="The stakeholder digest of every model: artifact and webhook summary.",
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    elif not args.no_digest:
        print(
            f"gapgates: note: {config} records no history (no history, registry or out): the digest is not served.",
            file=sys.stderr,
        )
    serve(*deployments)


if __name__ == "__main__":
    main()
