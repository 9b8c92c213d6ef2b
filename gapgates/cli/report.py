"""``gapgates report``: re-render report.md and report.html from a report.json."""

from __future__ import annotations

import click

__all__ = ["report_cmd"]


@click.command("report")
@click.option("--from", "src", required=True, help="Directory holding report.json (or the file itself).")
@click.option("--out", help="Where to write report.md and report.html (default: beside report.json).")
def report_cmd(src: str, out: str | None) -> None:
    """Re-render report.md and report.html from an existing report.json."""
    from gapgates.report.build import rerender

    for kind, path in rerender(src, out=out).items():
        click.echo(f"{kind}: {path}")
