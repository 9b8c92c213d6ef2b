"""The ``gapgates`` command group and the exit-code contract (the commands are attached in ``gapgates.cli``).

Heavy libraries (scikit-learn, Great Expectations, Prefect) are imported inside
commands only, so ``gapgates --help`` stays fast.

The exit-code contract, defined here and nowhere else:

==== ===================================================================================
code meaning
==== ===================================================================================
0    promote: a decision was reached and fully committed (``sweep``: a value passes the policy; or a command that decides
     nothing, such as ``report`` or ``registry list``, succeeded)
1    block or needs_approval: the gate decided not to promote (``sweep``: no value passes; ``monitor``: warn or
     retrain, and 0 is ok)
2    bad input or configuration: one line naming the problem and the fix; nothing was
     promoted (user code that raised or tried to exit is bad input too)
3    the gate could not decide (an internal error): one line; ``--debug`` shows the traceback
130  interrupted (Ctrl-C): nothing was promoted
==== ===================================================================================

Every failure is one line on stderr, ``gapgates: error: ...``, and no traceback unless
``--debug`` is given (which also shows the libraries' warnings, kept off stderr otherwise).
Nothing user code does can produce a 0: ``check`` and ``run`` exit 0 only through
:func:`decision_exit`, and a ``SystemExit`` raised inside a command (by user code, in this
process or a worker) is an error, never the command's exit code.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from gapgates.errors import COMMAND_LINE, GapGatesError, brief, spelled

__all__ = [
    "EXIT_BLOCK",
    "EXIT_ERROR",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_PROMOTE",
    "cli",
    "decision_exit",
    "note",
    "silence_stdout",
]

EXIT_PROMOTE, EXIT_BLOCK, EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

#: Commands whose exit code is a gate decision: they must end through :func:`decision_exit`.
DECIDING = frozenset({"check", "run", "sweep", "monitor"})


class _Failure(Exception):
    """A failure already turned into its exit code and one line."""

    def __init__(self, code: int, line: str) -> None:
        super().__init__(line)
        self.code, self.line = code, line


def decision_exit(ctx: click.Context, *, promoted: bool) -> NoReturn:
    """End a deciding command (``check``, ``run``): 0 when the gate promoted and the run committed, else 1.

    A deciding command that returns without calling this exits 3: no path reaches 0 by accident.
    """
    ctx.exit(EXIT_PROMOTE if promoted else EXIT_BLOCK)


def note(text: str) -> None:
    """One informational line on stderr (``gapgates: note: ...``), for a command that goes on."""
    click.echo(f"gapgates: note: {brief(text)}", err=True)


def _error_line(err: BaseException) -> tuple[int, str]:
    """The exit code and the one line for an error that ended a command."""
    if isinstance(err, GapGatesError):
        return EXIT_ERROR, brief(str(err))
    group = err.ctx.command if isinstance(err, click.exceptions.NoArgsIsHelpError) and err.ctx is not None else None
    if isinstance(err, click.exceptions.NoArgsIsHelpError) and err.ctx is not None and isinstance(group, click.Group):
        names, path = ", ".join(group.list_commands(err.ctx)), err.ctx.command_path  # not click's whole help text
        return EXIT_ERROR, brief(f"'{path}' needs a command: one of {names}. See '{path} --help'.")
    if isinstance(err, click.UsageError):
        command = err.ctx.command_path if err.ctx is not None else "gapgates"
        message = err.format_message().strip()
        message += "" if message.endswith((".", "?", "!")) else "."
        return EXIT_ERROR, brief(f"{message} See '{command} --help'.")
    if isinstance(err, click.ClickException):
        return EXIT_ERROR, brief(err.format_message())
    if isinstance(err, (KeyboardInterrupt, click.Abort)):
        return EXIT_INTERRUPTED, "interrupted; nothing was promoted."
    if isinstance(err, SystemExit):
        return EXIT_INTERNAL, (
            f"internal error: something called sys.exit({brief(repr(err.code), 40)}) during the run; "
            "nothing was promoted. Re-run with --debug to see where."
        )
    if isinstance(err, BrokenPipeError):
        silence_stdout()
        return EXIT_INTERNAL, "the output was closed before gapgates finished writing it (broken pipe)."
    if isinstance(err, MemoryError):
        return EXIT_INTERNAL, "internal error: out of memory; nothing was promoted. Use smaller data or fewer --n-jobs."
    detail = brief(f"{type(err).__name__}: {err}", 300)
    return EXIT_INTERNAL, (
        f"internal error ({detail}); nothing was promoted. Re-run with --debug for the traceback and report it."
    )


@contextmanager
def _library_warnings(*, shown: bool) -> Iterator[None]:
    """Keep the libraries' warnings (numpy, scikit-learn, GX...) off stderr, here and in worker processes, so a
    failure is one line; ``--debug`` (or Python's own ``-W``/``PYTHONWARNINGS``) shows them."""
    import os
    import warnings

    if shown or sys.warnoptions or "PYTHONWARNINGS" in os.environ:
        yield
        return
    os.environ["PYTHONWARNINGS"] = "ignore"  # inherited by joblib's worker processes started during the command
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        os.environ.pop("PYTHONWARNINGS", None)


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail on the closed pipe again."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (click's test runner)
        pass


class _Group(click.Group):
    """Applies the exit-code contract to every command (in-process runs through click's test runner too)."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            with spelled(COMMAND_LINE), _library_warnings(shown=debug):
                value = super().invoke(ctx)
        except click.exceptions.Exit:  # --help, --version, and the exits the commands chose
            raise
        except BaseException as err:  # the contract: one line and a known code, whatever was raised
            if debug:
                traceback.print_exc()
            code, line = _error_line(err)
            raise _Failure(code, line) from None
        if ctx.invoked_subcommand in DECIDING:
            raise _Failure(EXIT_INTERNAL, "internal error: the command ended without a decision; nothing was promoted.")
        return value

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            try:
                value = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            except KeyboardInterrupt:
                raise _Failure(EXIT_INTERRUPTED, "interrupted; nothing was promoted.") from None
            except (click.ClickException, click.Abort) as err:  # raised before a command runs
                code, line = _error_line(err)
                raise _Failure(code, line) from None
        except _Failure as failure:
            click.echo(f"gapgates: error: {failure.line}", err=True)
            if standalone_mode:
                sys.exit(failure.code)
            return failure.code
        code = value if isinstance(value, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gapgates")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """gapgates: measure the generalization gap and gate promotion on a policy.

    Exit codes: 0 promote, 1 block or needs approval, 2 bad input, 3 internal error (the gate could not decide),
    130 interrupted.
    """
    ctx.obj = {"debug": debug}
