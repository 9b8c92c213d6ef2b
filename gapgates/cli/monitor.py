"""``gapgates monitor``: the production model on newly labelled rows; ``ok``, ``warn`` or ``retrain``.

Exit codes (see :mod:`gapgates.cli.main`): 0 ok, 1 warn or retrain, 2 bad input (one line), 3 the
monitor could not decide.
"""

from __future__ import annotations

import click

from gapgates.cli.main import EXIT_BLOCK, EXIT_PROMOTE

__all__ = ["monitor"]


@click.command()
@click.option("--registry", required=True, help="The registry: a directory, or mlflow:<tracking uri>.")
@click.option("--model-name", required=True, help="The model whose production version to monitor.")
@click.option("--data", required=True, help="Newly labelled rows (CSV or Parquet) with the training columns.")
@click.option("--target", required=True, help="The target column.")
@click.option("--out", help="Where to write report.json, report.md and report.html.")
@click.option("--policy", help="Policy file ([monitor] and [quality] sections; default: the shipped policy).")
@click.option(
    "--history",
    help="Run-history database to record the run in, kind 'monitor' (default: as check's, "
    "history.sqlite in a directory registry, else beside --out).",
)
@click.option("--suite", help="A Great Expectations suite JSON for the fresh rows (default: [quality] suite).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap and the drift classifier.")
@click.pass_context
def monitor(
    ctx: click.Context,
    registry: str,
    model_name: str,
    data: str,
    target: str,
    out: str | None,
    policy: str | None,
    history: str | None,
    suite: str | None,
    seed: int,
) -> None:
    """Score the production model on fresh labelled rows, measure drift, and decide ok / warn / retrain.

    Exit codes: 0 ok, 1 warn or retrain, 2 bad input, 3 could not decide.
    """
    from gapgates.config import history_location
    from gapgates.history import History
    from gapgates.monitor import monitor_report, publish_monitor, run_monitor
    from gapgates.paths import check_directory, check_file
    from gapgates.report.monitor import monitor_lines

    if out is not None:  # before anything is read
        check_directory(out, "The report directory (--out)", files=("report.json", "report.md", "report.html"))
    history_path = history_location(history, registry=registry, out=out)
    if history_path is not None:
        check_file(history_path, "The history database (--history)")
        History(history_path).check()
    result = run_monitor(data, registry=registry, model_name=model_name, target=target, policy=policy, suite=suite, seed=seed)
    report = monitor_report(result)
    paths = publish_monitor(report, out=out, history=history_path)
    for line in monitor_lines(report):
        click.echo(line)
    if paths:
        click.echo("  report: " + ", ".join(str(p) for p in paths.values()))
    ctx.exit(EXIT_PROMOTE if report["decision"] == "ok" else EXIT_BLOCK)
