"""``gapgates approve RUN_ID`` and ``gapgates reject RUN_ID``: answer a paused ``retrain-and-gate`` run from a shell.

Prefect 3 has no command that resumes a run with input; these send the same answer as the UI's
resume form, through Prefect's client (``PREFECT_API_URL``). With :mod:`gapgates.cli.run`, the
only commands that reach Prefect (through :mod:`gapgates.flows`). The answer is checked first (a
reason of at most :data:`~gapgates.enforcement.MAX_REASON_CHARS` characters), then that
``PREFECT_API_URL`` is set and answers within seconds: no temporary server is ever started.
"""

from __future__ import annotations

import click

__all__ = ["approve", "reject"]

_run_id = click.argument("run_id")
_approver = click.option("--approver", required=True, help="Who decides; recorded in the audit log, reports and history.")
_reason = click.option("--reason", default="", help="Why; recorded with the decision.")


def _answer(run_id: str, *, approve: bool, approver: str, reason: str) -> None:
    from gapgates.enforcement import MAX_REASON_CHARS
    from gapgates.errors import ConfigError, require

    if len(reason) > MAX_REASON_CHARS:  # before Prefect is imported: the answer is refused in a fraction of a second
        raise ConfigError(
            f"--reason is recorded in the audit log, the reports and the history: at most {MAX_REASON_CHARS:,} "
            f"characters. Got {len(reason):,}. Shorten it, and link to a longer note if needed."
        )
    require("prefect", extra="prefect", needed_for=f"gapgates {'approve' if approve else 'reject'}")
    from gapgates.flows.approval import answer

    name = answer(run_id, approve=approve, approver=approver, reason=reason)
    verb = "approved" if approve else "rejected"
    click.echo(
        f"{verb}: flow run {run_id} ({name}) by {approver}"
        + (f": {reason}" if reason else "")
        + ". The run resumes, records the answer and publishes the outcome."
    )


def _command(name: str, *, approving: bool, help_text: str) -> click.Command:
    @click.command(name=name, help=help_text)
    @_run_id
    @_approver
    @_reason
    def command(run_id: str, approver: str, reason: str) -> None:
        _answer(run_id, approve=approving, approver=approver, reason=reason)

    return command


approve = _command("approve", approving=True, help_text="Approve a run paused on needs_approval: the candidate is promoted.")
reject = _command("reject", approving=False, help_text="Reject a run paused on needs_approval: the candidate is blocked.")
