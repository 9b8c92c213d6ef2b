"""Human approval: pause the flow run until someone approves or rejects, or the policy's timeout passes."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import Field

from gapgates.enforcement import MAX_REASON_CHARS, Approval
from gapgates.pipeline.steps import RunResult

__all__ = ["API_TIMEOUT", "ApprovalInput", "answer", "approval_description", "check_api", "evidence_links", "request_approval"]

#: Seconds the Prefect API has to answer before ``gapgates approve|reject`` gives up on it.
API_TIMEOUT = 5.0


class ApprovalInput(RunInput):
    """What the approver submits when resuming the paused run (a form in the Prefect UI).

    Attributes:
        approve: True to promote despite the failing checks, False to block.
        approver: Who decides; recorded as the actor in the registry's audit log.
        reason: Why.
    """

    approve: bool = False
    approver: str = Field(min_length=1, description="Your name or e-mail; recorded in the audit log.")
    reason: str = Field("", max_length=MAX_REASON_CHARS)


def approval_description(result: RunResult, evidence: Mapping[str, str] | None = None) -> str:
    """Markdown shown on the resume form: links to the published evidence, the diagnosis, the failing checks.

    Args:
        result: The run waiting for approval.
        evidence: Links by title (the report, fold and HTML artifacts published before the pause).
    """
    lines = [f"**{result.name}** needs approval before promotion."]
    if evidence:
        lines += ["", "Evidence: " + " · ".join(f"[{title}]({url})" for title, url in evidence.items())]
    if result.diagnosis is not None:
        lines += ["", f"Diagnosis: **{result.diagnosis.label}**: {result.diagnosis.explanation}"]
    lines += ["", "Failing checks:", ""] + [f"- `{c.name}`: {c.message}" for c in result.decision.failed]
    lines += ["", "Set **approve** and your name to promote, or leave approve off to block."]
    return "\n".join(lines)


def evidence_links(created: Mapping[str, UUID], report_html: str | None) -> dict[str, str]:
    """Titles and URLs of the artifacts :func:`~gapgates.flows.artifacts.publish_evidence` created."""
    from gapgates.flows.artifacts import artifact_url

    titles = {"report": "report (Markdown artifact)", "folds": "per-fold scores"}
    links = {
        titles[kind]: url
        for kind, artifact_id in created.items()
        if kind in titles and (url := artifact_url(artifact_id)) is not None
    }
    if report_html is not None:
        links["HTML report"] = report_html
    return links


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


def request_approval(
    result: RunResult, *, poll_interval: int | None = None, evidence: Mapping[str, str] | None = None
) -> Approval:
    """Pause the current flow run for an :class:`ApprovalInput` (call from inside a flow).

    Args:
        result: The run whose decision is ``needs_approval``.
        poll_interval: Seconds between checks for a resume (default: a tenth of the timeout, 1–10 s).
        evidence: Links to the evidence published before the pause, shown on the resume form.

    Returns:
        The answer; a timeout (policy ``[decision] approval_timeout``) is a rejection.
    """
    timeout = result.policy.decision.approval_timeout
    poll = poll_interval if poll_interval is not None else min(10, max(1, timeout // 10))
    form = ApprovalInput.with_initial_data(description=approval_description(result, evidence), approve=False)
    try:
        answer = pause_flow_run(wait_for_input=form, timeout=timeout, poll_interval=poll)
    except FlowPauseTimeout:
        _resume_after_timeout()
        return Approval(False, "gapgates", f"nobody approved within {timeout} s", timed_out=True)
    reason = answer.reason or ("approved" if answer.approve else "rejected")
    return Approval(bool(answer.approve), answer.approver, reason)


def check_api(*, timeout: float = API_TIMEOUT) -> str:
    """The Prefect API this process talks to (``PREFECT_API_URL``, from the environment or the Prefect profile), once
    it answered: without it, Prefect's client would start a temporary server of its own, which holds no paused run.

    Args:
        timeout: Seconds to wait for the API's health endpoint (connecting and reading).

    Returns:
        The API URL.

    Raises:
        ConfigError: ``PREFECT_API_URL`` is not set, not an http(s) URL, or did not answer in time.
    """
    import urllib.error
    import urllib.request
    from urllib.parse import urlparse

    from prefect.settings import PREFECT_API_URL

    from gapgates.errors import ConfigError, brief

    url = PREFECT_API_URL.value()
    if not url:
        raise ConfigError(
            "gapgates approve and reject answer a run paused on a Prefect server: set PREFECT_API_URL to that server's "
            "API (e.g. http://127.0.0.1:4200/api). Got none."
        )
    if urlparse(str(url)).scheme not in {"http", "https"}:
        raise ConfigError(f"PREFECT_API_URL must be an http(s) URL of a Prefect server's API. Got {brief(str(url), 200)!r}.")
    try:
        with urllib.request.urlopen(str(url).rstrip("/") + "/health", timeout=timeout):  # http(s) only, checked above
            pass
    except urllib.error.HTTPError:  # it answered (an API behind authentication says 401): it is there
        pass
    except (urllib.error.URLError, OSError, ValueError) as err:
        detail = getattr(err, "reason", None) or err
        raise ConfigError(
            f"The Prefect API at PREFECT_API_URL={url} is not reachable ({brief(str(detail), 200)}; gapgates waits at most "
            f"{timeout:g} s). Start the server the paused run is on, or set PREFECT_API_URL to it."
        ) from None
    return str(url)


def answer(flow_run_id: str, *, approve: bool, approver: str, reason: str = "") -> str:
    """Approve or reject a paused ``retrain-and-gate`` run through Prefect's client (``gapgates approve|reject``).

    Args:
        flow_run_id: The paused flow run's id (in the UI's URL, or ``prefect flow-run ls``).
        approve: True to promote, False to block.
        approver: Who decides (recorded in the audit log, the reports and the history).
        reason: Why.

    Returns:
        The flow run's name.

    Raises:
        ConfigError: On an id that is not a UUID, a reason longer than :data:`~gapgates.enforcement.MAX_REASON_CHARS`,
            a ``PREFECT_API_URL`` that is not set or does not answer (:func:`check_api`), an unknown run, or a run that
            is not paused.
    """
    import httpx
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.flow_runs import resume_flow_run

    from gapgates.errors import ConfigError, brief

    try:
        run_id = UUID(str(flow_run_id))
    except ValueError:
        raise ConfigError(f"A flow run id is a UUID (the last part of the run's URL in the UI). Got {flow_run_id!r}.") from None
    if not approver.strip():
        raise ConfigError("--approver must name who decides; it is recorded in the audit log. Got ''.")
    if len(reason) > MAX_REASON_CHARS:
        raise ConfigError(f"The reason is at most {MAX_REASON_CHARS:,} characters. Got {len(reason):,}.")
    url = check_api()  # before Prefect's client, which would otherwise start a temporary server of its own
    try:
        with get_client(sync_client=True) as client:
            try:
                run = client.read_flow_run(run_id)
            except ObjectNotFound:
                raise ConfigError(f"There is no flow run {run_id} on the Prefect server at PREFECT_API_URL={url}.") from None
        if run.state is None or not run.state.is_paused():
            state = "no state" if run.state is None else run.state.name
            raise ConfigError(f"Flow run {run_id} ({run.name}) is not waiting for approval: it is {state}.")
        resume_flow_run(run_id, run_input=ApprovalInput(approve=approve, approver=approver, reason=reason).model_dump())
    except (httpx.HTTPError, OSError) as err:
        raise ConfigError(
            f"The Prefect API at PREFECT_API_URL={url} failed: {brief(str(err) or type(err).__name__, 200)}. "
            "Check the server, then answer again."
        ) from None
    return str(run.name)
