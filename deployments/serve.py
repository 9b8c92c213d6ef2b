"""Serve the ``retrain-and-gate`` flow on a cron schedule from this process (no work pool needed).

    python -m gapgates.deployments.serve --config deployments/gapgates.toml --cron "0 3 * * *"

Trigger a run now (another shell, same ``PREFECT_API_URL``)::

    prefect deployment run retrain-and-gate/nightly-retrain
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_CRON = "0 3 * * *"


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="deployments/gapgates.toml", help="gapgates.toml the runs use.")
    parser.add_argument("--name", default="nightly-retrain", help="Deployment name.")
    parser.add_argument("--cron", default=DEFAULT_CRON, help=f"Cron schedule (default {DEFAULT_CRON!r}, UTC).")
    args = parser.parse_args(argv)
    config = Path(args.config)
    if not config.is_file():
        parser.error(f"Config file '{config}' does not exist. Pass an existing gapgates.toml to --config.")

    from gapgates.flows import retrain_and_gate
    from prefect.types.entrypoint import EntrypointType

    # A module-path entrypoint (gapgates.flows.retrain.retrain_and_gate): the deployment names the
    # installed module, not a file path relative to the directory this was started in.
    retrain_and_gate.serve(
        name=args.name,
        cron=args.cron,
        parameters={"config_path": str(config.resolve())},
        tags=["gapgates"],
        description="Retrain and gate promotion on the generalization gap.",
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


if __name__ == "__main__":
    main()
