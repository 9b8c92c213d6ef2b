"""``gapgates monitor``: the production model on fresh rows; ``ok``, ``warn`` or ``retrain``.

With the target column the scores are measured; without it (or with ``--no-labels``) they are estimated from
the model's confidence (:mod:`gapgates.compute.estimate`) and judged by ``[monitor] max_estimated_gap``.

Exit codes (see :mod:`gapgates.cli.main`): 0 ok, 1 warn or retrain, 2 bad input (one line), 3 the
monitor could not decide. The same with or without labels.
"""

from __future__ import annotations

import click

from gapgates.cli.main import EXIT_BLOCK, EXIT_PROMOTE

__all__ = ["monitor"]


@click.command()
@click.option("--registry", required=True, help="The registry: a directory, or mlflow:<tracking uri>.")
@click.option("--model-name", required=True, help="The model whose production version to monitor.")
@click.option(
    "--data",
    required=True,
    help="Fresh rows (CSV or Parquet) with the training columns; without the target column the scores are estimated.",
)
@click.option("--target", help="The target column (default: the production version's).")
@click.option(
    "--labels/--no-labels",
    "labels",
    default=None,
    help="Require labels, or ignore the target column and estimate (default: estimate when the target column is absent).",
)
@click.option("--batch", help="The batch's id, to match a later labelled run of the same rows with this estimate.")
@click.option(
    "--id-column",
    help="A column of row ids: the batch's id is a hash of its values (default: a hash of the feature columns).",
)
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
    target: str | None,
    labels: bool | None,
    batch: str | None,
    id_column: str | None,
    out: str | None,
    policy: str | None,
    history: str | None,
    suite: str | None,
    seed: int,
) -> None:
    """Score the production model on fresh rows (or, without labels, estimate its score), measure drift, and decide
    ok / warn / retrain.

    Exit codes: 0 ok, 1 warn or retrain, 2 bad input, 3 could not decide.
    """
    from gapgates.config import history_location
    from gapgates.history import History
    from gapgates.monitor import check_estimate, monitor_report, publish_monitor, run_monitor
    from gapgates.paths import check_file
    from gapgates.pipeline.outputs import check_report_directory
    from gapgates.report.monitor import monitor_lines

    if out is not None:  # before anything is read
        check_report_directory(out)
    history_path = history_location(history, registry=registry, out=out)
    if history_path is not None:
        check_file(history_path, "The history database (--history)")
        History(history_path).check()
    result = run_monitor(
        data,
        registry=registry,
        model_name=model_name,
        target=target,
        policy=policy,
        suite=suite,
        seed=seed,
        labels=labels,
        batch=batch,
        id_column=id_column,
    )
    report = check_estimate(monitor_report(result), history_path)
    paths = publish_monitor(report, out=out, history=history_path)
    for line in monitor_lines(report):
        click.echo(line)
    if paths:
        click.echo("  report: " + ", ".join(str(p) for p in paths.values()))
    ctx.exit(EXIT_PROMOTE if report["decision"] == "ok" else EXIT_BLOCK)
