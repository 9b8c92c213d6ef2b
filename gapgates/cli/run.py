"""``gapgates run``: the same gate as ``check``, as the Prefect flow ``retrain-and-gate``.

The only command that imports Prefect (through :mod:`gapgates.flows`).
"""

from __future__ import annotations

from typing import Any

import click

from gapgates.cli.check import check_options, print_summary, resolve_check_config
from gapgates.cli.main import EXIT_BLOCK, EXIT_PROMOTE

__all__ = ["run"]


@click.command()
@check_options
@click.option("--dask", help="Fit the folds on Dask: a scheduler address (tcp://host:8786) or 'local' (LocalCluster).")
@click.pass_context
def run(ctx: click.Context, config_path: str | None, **options: Any) -> None:
    """Like check, but as the Prefect flow retrain-and-gate: promote (0), block (1).

    Runs in Prefect's ephemeral mode with no server set up, or against PREFECT_API_URL.
    A needs_approval decision pauses the run until someone approves it in the Prefect UI.
    """
    import os

    from gapgates.pipeline.inputs import check_inputs

    config = resolve_check_config(config_path, **options)
    check_inputs(config)  # bad options fail here in one line, before Prefect starts
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from gapgates.flows.retrain import final_report, retrain_and_gate

    state = retrain_and_gate(options=config.model_dump(mode="json"), return_state=True)
    report, promoted = final_report(state)
    paths = {"json": config.out / "report.json"} if config.out is not None else None
    print_summary(report, paths)
    ctx.exit(EXIT_PROMOTE if promoted else EXIT_BLOCK)
