"""The ``retrain-and-gate`` flow: :func:`gapgates.gate.run_gate` with each step as a Prefect task.

The order of the steps is not written here: the flow executes the declarations of
:mod:`gapgates.gate` (the same ones ``gapgates check`` runs) with :func:`_call`, which runs each
step as its task, fans the cross-validation out per fold, pauses for a person's answer on a
``needs_approval`` decision, and publishes the artifacts with the report's outcome. The commit phase
(stage → publish → commit → record) runs in a Prefect transaction: when a step fails, the finished ones
are rolled back by their ``on_rollback`` hooks and production does not move.

Final states: a promoted run ends Completed and returns the report; a blocked, rejected or
timed-out run ends **Failed** with a short message (the first reasons; Prefect automations can
alert on it) and :class:`~gapgates.errors.RunBlocked` carrying the report as its result; bad
input ends Failed with the one-line error. Results are persisted (``persist_result=True``), so
a client reads the report with ``state.result()`` after ``run_deployment``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gapgates.flows.approval import evidence_links, request_approval
from gapgates.flows.artifacts import html_url, publish_artifacts, publish_evidence, publish_recommendation
from gapgates.flows.tasks import call_task
from prefect import flow, get_run_logger
from prefect.context import FlowRunContext
from prefect.exceptions import Abort
from prefect.states import Failed, State
from prefect.transactions import transaction
from prefect.utilities.annotations import opaque

from gapgates.config import CheckConfig, merge_config
from gapgates.errors import GapGatesError, RunBlocked
from gapgates.gate import GateState, run_gate
from gapgates.judge.checks import Outcome
from gapgates.pipeline.definition import Step
from gapgates.report.build import build_report

__all__ = [
    "DeploymentRunBlocked",
    "DeploymentRunRefused",
    "blocked_message",
    "final_report",
    "gate_config",
    "refused",
    "retrain_and_gate",
]


def gate_config(config_path: str | None = None, options: dict[str, Any] | None = None) -> CheckConfig:
    """A :class:`CheckConfig` from a ``gapgates.toml`` and/or options (options win; :func:`gapgates.config.merge_config`).

    Raises:
        ConfigError: On a missing file or invalid options.
    """
    return merge_config(config_path, options)


def _call(step: Step, *args: Any) -> Any:
    """Run one step of the gate inside the flow.

    The artifact tasks get their (large) inputs ``opaque``, like the steps (:func:`gapgates.flows.tasks.run_step`):
    Prefect records which task produced them without walking the report (about 0.45 s at 50k rows).
    """
    if step.name == "approval":
        result = args[0]
        if result.decision.outcome is not Outcome.NEEDS_APPROVAL:
            return None
        created = publish_evidence(opaque(result))  # the reviewer sees the report before answering
        return request_approval(result, evidence=evidence_links(created, html_url(build_report(result))))
    value = call_task(step, *args)
    if step.name == "record":  # the artifacts tell the outcome, once production moved (or did not)
        publish_artifacts(opaque(value))
    if step.name == "recommend" and value is not None:
        result = args[0]
        publish_recommendation(opaque(value), result.name, result.prepared.metrics[0])
    return value


class DeploymentRunBlocked(RunBlocked, Abort):
    """:class:`RunBlocked` as Prefect's ``Abort`` signal, for a run a worker or ``serve`` started.

    The engine process re-raises a Failed run's result after the run ended; any other exception
    is logged as "Engine execution exited with unexpected exception" with its traceback. A block
    is a decision, not a crash: as ``Abort``, the process ends cleanly (exit 0) once the Failed
    state is recorded. Still a :class:`RunBlocked` (an ``Exception``) for clients.
    """


class DeploymentRunRefused(GapGatesError, Abort):
    """Bad input of a run a worker or ``serve`` started, as Prefect's ``Abort`` signal (see
    :class:`DeploymentRunBlocked`): the run ends Failed with the one-line error as its message, and the engine
    process ends cleanly instead of logging the error again with two tracebacks. Still a
    :class:`~gapgates.errors.GapGatesError` for clients; :attr:`kind` names the original error's type.
    """

    def __init__(self, message: str, kind: str = "GapGatesError") -> None:
        super().__init__(message)
        self.kind = kind

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (str(self), self.kind)


def _deployed() -> bool:
    """Whether this flow run belongs to a deployment (a worker or ``serve`` started it)."""
    context = FlowRunContext.get()
    return context is not None and context.flow_run is not None and context.flow_run.deployment_id is not None


def _blocked(message: str, report: dict[str, Any]) -> RunBlocked:
    """The blocked run's result: a :class:`DeploymentRunBlocked` in a deployment's run, else :class:`RunBlocked`."""
    return (DeploymentRunBlocked if _deployed() else RunBlocked)(message, report)


def refused(err: GapGatesError) -> State:
    """The Failed state of a run refused for bad input: the one-line error as its message (logged once), and as its
    result the error itself, or :class:`DeploymentRunRefused` in a deployment's run."""
    get_run_logger().error("gapgates: error: %s", err)
    data = DeploymentRunRefused(str(err), type(err).__name__) if _deployed() else err
    return Failed(message=f"gapgates: error: {err}", data=data)


@contextmanager
def _prefect_transaction(done: list[Any]) -> Iterator[None]:
    """Prefect's transaction: a failing step rolls back the finished ones through their task hooks."""
    with transaction():
        yield


def _blocked_reasons(state: GateState) -> list[str]:
    result, approval = state.result, state.approval
    reasons = [] if result is None else list(result.decision.reasons)
    if approval is not None and not approval.approved:
        verb = "timed out" if approval.timed_out else "rejected"
        reasons.insert(0, f"approval {verb} by {approval.actor}: {approval.reason}")
    if state.committed is not None and state.committed.outcome == "refused":  # production moved after the comparison
        reasons.insert(0, state.committed.reason or "production moved")
    return reasons


#: Reasons named in a blocked run's state message (the report has them all).
MESSAGE_REASONS = 3


def blocked_message(reasons: list[str]) -> str:
    """The state message of a blocked run: short, the first reasons, how many more.

    Example:
        >>> blocked_message(["a", "b", "c", "d", "e"])
        'Blocked: a; b; c (and 2 more in the report)'
    """
    shown = "; ".join(r.rstrip(".") if len(r) <= 200 else r[:199] + "…" for r in reasons[:MESSAGE_REASONS])
    more = len(reasons) - MESSAGE_REASONS
    return "Blocked: " + (shown or "the gate did not pass") + (f" (and {more} more in the report)" if more > 0 else "")


@flow(name="retrain-and-gate", validate_parameters=True, persist_result=True)
def retrain_and_gate(config_path: str | None = None, options: dict[str, Any] | None = None, recommend: bool = False) -> Any:
    """Retrain a model and gate its promotion on the generalization gap.

    Args:
        config_path: A ``gapgates.toml`` (the deployment's parameter).
        options: Options overriding the file (same keys; ``dask`` runs the folds on Dask).
        recommend: After a block for overfit or underfit, run the ``recommend`` step (``check --recommend``): the
            capacity sweep's values as ``judge-value`` tasks, the verified ``--param`` in the report, and the
            ``-sweep`` (table) and ``-recommendation`` (Markdown) artifacts.

    Returns:
        The report (Completed) when the gate passed; a Failed state otherwise, whose result is
        :class:`~gapgates.errors.RunBlocked` (with the report) or the one-line input error.
    """
    try:
        asked = {**(options or {}), "recommend": True} if recommend else options
        state = run_gate(gate_config(config_path, asked), call=_call, transaction=_prefect_transaction)
    except GapGatesError as err:
        return refused(err)
    if state.passed:
        return state.report
    message = blocked_message(_blocked_reasons(state))
    # An exception as the data, not the report itself: Prefect resolves a Failed state's result into an
    # exception (a dict there makes the engine log "TypeError: Unexpected result for failed state").
    return Failed(message=message, data=_blocked(message, state.report))


def final_report(state: State) -> tuple[dict[str, Any], bool]:
    """The report and whether the gate passed, from a finished ``retrain-and-gate`` state.

    Raises:
        GapGatesError: The run's one-line input error.
        Exception: Any other error that failed the run.
    """
    data = state.result(raise_on_failure=False)
    if isinstance(data, RunBlocked):
        return data.report, False
    if isinstance(data, BaseException):
        raise data
    if not isinstance(data, dict):
        state.result()  # re-raise prefect's failure
        raise RuntimeError(f"The flow run ended in {state.type.value} without a report: {state.message}")
    return data, state.is_completed()
