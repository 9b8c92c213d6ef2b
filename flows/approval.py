"""Human approval: pause the flow run until someone approves or rejects, or the policy's timeout passes."""

from __future__ import annotations

from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import Field

from gapgates.enforcement import Approval
from gapgates.pipeline.steps import RunResult

__all__ = ["ApprovalInput", "approval_description", "request_approval"]


class ApprovalInput(RunInput):
    """What the approver submits when resuming the paused run (a form in the Prefect UI).

    Attributes:
        approve: True to promote despite the failing checks, False to block.
        approver: Who decides; recorded as the actor in the registry's audit log.
        reason: Why.
    """

    approve: bool = False
    approver: str = Field(min_length=1, description="Your name or e-mail; recorded in the audit log.")
    reason: str = ""


def approval_description(result: RunResult) -> str:
    """Markdown shown on the resume form: the model and the failing checks."""
    lines = [f"**{result.name}** needs approval before promotion. Failing checks:", ""]
    lines += [f"- `{c.name}`: {c.message}" for c in result.decision.failed]
    lines += ["", "Set **approve** and your name to promote, or leave approve off to block."]
    return "\n".join(lines)


def _resume_after_timeout() -> None:
    """Set the expired paused run back to Running, so it can record the block and publish its report.

    (Left Paused, the server fails the run on its next state change, before the block is recorded.)
    """
    from prefect import get_client
    from prefect.context import FlowRunContext
    from prefect.states import Running

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(context.flow_run.id, Running(message="Approval timed out; blocking."), force=True)


def request_approval(result: RunResult, *, poll_interval: int | None = None) -> Approval:
    """Pause the current flow run for an :class:`ApprovalInput` (call from inside a flow).

    Args:
        result: The run whose decision is ``needs_approval``.
        poll_interval: Seconds between checks for a resume (default: a tenth of the timeout, 1–10 s).

    Returns:
        The answer; a timeout (policy ``[decision] approval_timeout``) is a rejection.
    """
    timeout = result.policy.decision.approval_timeout
    poll = poll_interval if poll_interval is not None else min(10, max(1, timeout // 10))
    form = ApprovalInput.with_initial_data(description=approval_description(result), approve=False)
    try:
        answer = pause_flow_run(wait_for_input=form, timeout=timeout, poll_interval=poll)
    except FlowPauseTimeout:
        _resume_after_timeout()
        return Approval(False, "gapgates", f"nobody approved within {timeout} s", timed_out=True)
    reason = answer.reason or ("approved" if answer.approve else "rejected")
    return Approval(bool(answer.approve), answer.approver, reason)
