"""``gapgates sweep``: the gap and the policy's decision for each value of one parameter, and a verified setting.

Exit codes (see :mod:`gapgates.cli.main`): 0 when a value passes the policy (the recommendation is
printed as a ready ``--param`` line), 1 when none does, 2 on bad input, 3 on an internal error.
"""

from __future__ import annotations

from typing import Any

import click

from gapgates.cli.check import check_options, resolve_check_config
from gapgates.cli.main import EXIT_BLOCK, EXIT_PROMOTE

__all__ = ["print_sweep", "sweep"]


def print_sweep(document: dict[str, Any]) -> None:
    """Print the sweep's table and its recommendation (or that no value passes)."""
    from gapgates.report.sweep import sweep_table

    best = document["recommendation"]
    *table, verdict = sweep_table(document)
    for line in table:
        click.echo(line)
    click.echo(click.style(verdict, fg="green" if best else "red", bold=True))
    if best is not None:
        click.echo(f"  {best['param_line']}")


@click.command()
@check_options
@click.option(
    "--sweep",
    "sweep_spec",
    required=True,
    metavar="PARAM=VALUES",
    help="The parameter and its values: PARAM=V1,V2,..., PARAM=1..30 (integers) or PARAM=1e-4..1e2:13 (13 values in log scale).",
)
@click.pass_context
def sweep(ctx: click.Context, config_path: str | None, sweep_spec: str, **options: Any) -> None:
    """Cross-validate one model per value of a parameter on the same folds; recommend the best value that passes.

    With --n-jobs N the values are judged N at a time (same numbers as one at a time).

    Exit codes: 0 a value passes the policy (printed as --param NAME=VALUE), 1 none does, 2 bad input.
    """
    from gapgates.compute.sweep import parse_sweep
    from gapgates.pipeline.sweep import check_sweep, run_sweep
    from gapgates.report.sweep import sweep_document, write_sweep

    spec = parse_sweep(sweep_spec)
    config = resolve_check_config(config_path, **options)
    check_sweep(config, spec)
    document = sweep_document(run_sweep(config, spec))
    paths = write_sweep(document, config.out) if config.out is not None else {}
    print_sweep(document)
    if paths:
        click.echo("  report: " + ", ".join(str(p) for p in paths.values()))
    ctx.exit(EXIT_PROMOTE if document["recommendation"] is not None else EXIT_BLOCK)
