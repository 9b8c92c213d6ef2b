"""The ``gapgates`` command group: one-line errors and exit codes (the commands are attached in ``gapgates.cli``).

Heavy libraries (scikit-learn, Great Expectations, Prefect) are imported inside
commands only, so ``gapgates --help`` stays fast. Every :class:`GapGatesError`
becomes one line on stderr and exit code 2; ``--debug`` shows the traceback.

Exit codes: 0 promote, 1 block or needs_approval, 2 bad input or configuration.
"""

from __future__ import annotations

from typing import Any

import click

from gapgates.errors import GapGatesError

__all__ = ["EXIT_BLOCK", "EXIT_ERROR", "EXIT_PROMOTE", "cli"]

EXIT_PROMOTE, EXIT_BLOCK, EXIT_ERROR = 0, 1, 2


class _Group(click.Group):
    """Turns gapgates errors into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GapGatesError as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"gapgates: error: {err}", err=True)
            ctx.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gapgates")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """gapgates: measure the generalization gap and gate promotion on a policy.

    Exit codes: 0 promote, 1 block or needs approval, 2 bad input.
    """
    ctx.obj = {"debug": debug}
