"""``gapgates profile``: a Great Expectations suite from accepted data."""

from __future__ import annotations

import click

from gapgates.errors import ConfigError

__all__ = ["profile"]


@click.command()
@click.option("--data", required=True, help="Accepted data, CSV or Parquet.")
@click.option("--out", required=True, help="Where to write the GX suite JSON.")
@click.option("--target", help="Target column: no nulls, and its value set.")
@click.option(
    "--margin",
    type=click.FloatRange(0, 10),
    default=0.1,
    show_default=True,
    help="Widen numeric ranges by this share of their span on each side.",
)
def profile(data: str, out: str, target: str | None, margin: float) -> None:
    """Build a Great Expectations suite from accepted data; use it as [quality] suite."""
    from gapgates.data.tables import load_table, require_columns
    from gapgates.paths import check_file
    from gapgates.quality.gate import profile_suite

    check_file(out, "The suite file (--out)")  # before anything is read
    table = load_table(data)
    if table.shape[1] == 0:
        raise ConfigError(f"Data file '{data}' has no columns to profile. Pass the accepted data.")
    if len(table) == 0:
        raise ConfigError(f"Data file '{data}' has a header but no rows to profile. Pass the accepted data itself.")
    if target is not None:
        require_columns(table, target)
    suite = profile_suite(table, out, target=target, margin=margin)
    click.echo(f"Wrote {len(suite.expectations)} expectations for {table.shape[1]} columns, {len(table)} rows to {out}")
