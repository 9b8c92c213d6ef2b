"""``gapgates run``: the same gate as ``check``, as the Prefect flow ``retrain-and-gate``.

The only command that imports Prefect (through :mod:`gapgates.flows`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from gapgates.cli.check import check_options, resolve_check_config, show_summary
from gapgates.cli.main import decision_exit

__all__ = ["run"]


@contextmanager
def _quiet_prefect_console(enabled: bool) -> Iterator[None]:
    """Keep Prefect's console log lines off stderr (they still reach the Prefect API and UI).

    stderr then holds gapgates' own line only: the one-line error of bad input. ``--debug`` keeps them.
    """
    if not enabled:
        yield
        return
    handlers = {
        h
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        for h in getattr(logger, "handlers", [])
        if type(h).__name__ == "PrefectConsoleHandler"
    }
    levels = {h: h.level for h in handlers}
    for handler in handlers:
        handler.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for handler, level in levels.items():
            handler.setLevel(level)


@click.command()
@check_options
@click.option("--dask", help="Fit the folds on Dask: a scheduler address (tcp://host:8786) or 'local' (LocalCluster).")
@click.pass_context
def run(ctx: click.Context, config_path: str | None, **options: Any) -> None:
    """Like check, but as the Prefect flow retrain-and-gate: promote (0), block (1).

    Runs in Prefect's ephemeral mode with no server set up, or against PREFECT_API_URL.
    A needs_approval decision pauses the run until someone approves it in the Prefect UI.
    Prefect's own log lines go to its API and UI, not to the terminal (``gapgates --debug run`` shows them).
    """
    import os

    from gapgates.errors import require
    from gapgates.pipeline.inputs import check_inputs

    require("prefect", extra="prefect", needed_for="gapgates run")
    config = resolve_check_config(config_path, **options)
    check_inputs(config)  # bad options fail here in one line, before Prefect starts
    debug = bool((ctx.find_root().obj or {}).get("debug"))
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not debug:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    from gapgates.compute.crossval import thread_limits
    from gapgates.flows.retrain import final_report, retrain_and_gate

    # The free cores are measured here, before Prefect starts: inside the flow, its own threads and the server
    # answering the run's first API calls would read as competing processes (the run then used one core).
    with _quiet_prefect_console(not debug), thread_limits(None):
        state = retrain_and_gate(options=config.model_dump(mode="json"), return_state=True)
    report, promoted = final_report(state)
    paths = {"json": config.out / "report.json"} if config.out is not None else None
    show_summary(report, paths)
    decision_exit(ctx, promoted=promoted)
