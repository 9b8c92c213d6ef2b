"""One whole gate run: the judging steps, then approval, then the commit phase — declared once.

:data:`GATE_STEPS` is :data:`~gapgates.pipeline.definition.JUDGE_STEPS` followed by ``recommend`` (after a
block, with ``recommend`` on: :func:`~gapgates.pipeline.sweep.recommend_fixes`) and ``approval``;
:data:`COMMIT_STEPS` runs in a transaction, production moving only in ``commit``::

    approval → stage (register the candidate) → publish (reports and history row, ``pending``)
             → commit (switch production, only over the version the candidate was compared with)
             → record (the outcome into the reports and the history row; then the webhook)

What is published before the switch says ``pending``, never "promoted": a kill at any instant leaves
reports and a history row that tell the truth, or say pending (readers settle it from the registry,
:mod:`gapgates.registry.outcomes`). A failure before ``commit`` leaves production where it was: the
staged version is audited as withdrawn and the published reports and history row say so. A production
that moved after the champion comparison refuses the switch: the run is a block (exit 1) with the
failed check ``production_moved``. ``gapgates check`` runs :func:`run_gate` with the defaults; the
Prefect flow runs the same declarations with its own step caller (tasks, per-fold fan-out, a pause for
approval) and Prefect's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from gapgates.config import CheckConfig
from gapgates.enforcement import Approval, Enforcement, Staged, commit, stage, withdraw
from gapgates.judge.checks import Outcome
from gapgates.judge.policy import Policy
from gapgates.pipeline.definition import JUDGE_STEPS, RunState, Step, StepCaller, call_step, execute, local_transaction
from gapgates.pipeline.steps import RunResult
from gapgates.pipeline.sweep import Recommendation, recommend_fixes
from gapgates.publishing import Published, publish, record, retract

__all__ = [
    "COMMIT_STEPS",
    "GATE_STEPS",
    "RECOMMEND_STEP",
    "GateState",
    "ask_approval",
    "commit_run",
    "publish_run",
    "record_run",
    "run_gate",
    "stage_run",
]


@dataclass(frozen=True, eq=False)
class GateState(RunState):
    """A run's state through the commit phase.

    Attributes:
        recommendation: What ``check --recommend`` found after a block (None: not asked, or not blocked for
            overfit or underfit).
        approval: A person's answer to a ``needs_approval`` decision (None: nobody was asked).
        staged: The registered candidate and the plan for production (None without a registry).
        published: The report files and history row (``pending`` before the switch; the outcome and the webhook
            once ``record`` ran).
        committed: What the registry did (None without a registry).
    """

    recommendation: Recommendation | None = None
    approval: Approval | None = None
    staged: Staged | None = None
    published: Published | None = None
    committed: Enforcement | None = None

    @property
    def passed(self) -> bool:
        """Whether the gate let the candidate through: ``promote``, or ``needs_approval`` approved, and the registry did
        not refuse the switch (production moved after the comparison)."""
        result = self.result
        if result is None or (self.committed is not None and self.committed.outcome == "refused"):
            return False
        if self.approval is not None:
            return self.approval.approved and result.decision.outcome is Outcome.NEEDS_APPROVAL
        return result.decision.allows_promotion

    @property
    def report(self) -> dict[str, Any]:
        """The published ``report.json`` mapping."""
        if self.published is None:
            raise RuntimeError("The run has not been published.")
        return self.published.report


def ask_approval(result: RunResult) -> Approval | None:
    """Nobody to ask outside an orchestrator: a ``needs_approval`` decision is not promoted.

    The Prefect flow runs this step as a pause for a person's answer instead.
    """
    return None


def stage_run(result: RunResult, approval: Approval | None) -> Staged | None:
    """Register the candidate in the config's registry and audit the decision (None without a registry)."""
    config = result.prepared.config
    if config.registry is None:
        return None
    from gapgates.registry import open_registry  # the registry code, only for a run with a registry

    registry = open_registry(config.registry, model_name=config.model_name, alias=config.alias)
    if approval is None:
        return stage(result, registry, promote=config.promote)
    if approval.approved and result.decision.outcome is Outcome.NEEDS_APPROVAL:
        return stage(result, registry, promote=config.promote, approved_by=approval.actor, approval_reason=approval.reason)
    return stage(result, registry, promote=False, rejected_by=approval.actor, approval_reason=approval.reason)


def publish_run(
    result: RunResult, approval: Approval | None, staged: Staged | None, recommendation: Recommendation | None = None
) -> Published:
    """Write the reports (with the recommendation) and record the history row before the switch: a promotion is
    ``pending`` until :func:`record_run`."""
    return publish(
        result,
        out=result.prepared.config.out,
        enforcement=None if staged is None else staged.planned,
        approval=approval,
        recommendation=recommendation,
    )


def commit_run(staged: Staged | None) -> Enforcement | None:
    """Switch production to the staged candidate when the plan says so, over the version it was compared with."""
    return None if staged is None else commit(staged)


def record_run(
    result: RunResult,
    approval: Approval | None,
    recommendation: Recommendation | None,
    published: Published,
    committed: Enforcement | None,
) -> Published:
    """Write the outcome into the reports and the history row, then send the webhook: the last act of a run."""
    return record(result, published, committed, approval=approval, recommendation=recommendation)


#: ``check --recommend``: after a block, a verified capacity value and early-stopping settings (no-op unless asked).
RECOMMEND_STEP = Step("recommend", recommend_fixes, ("result",), "recommendation", fits=True)
APPROVAL_STEP = Step("approval", ask_approval, ("result",), "approval")

#: The judging steps, the recommendation and the approval: everything before the transaction.
GATE_STEPS: tuple[Step, ...] = (*JUDGE_STEPS, RECOMMEND_STEP, APPROVAL_STEP)

#: The transaction: nothing in it moves production but ``commit``; ``record`` writes what it did.
COMMIT_STEPS: tuple[Step, ...] = (
    Step("stage", stage_run, ("result", "approval"), "staged", io=True, rollback=withdraw),
    Step("publish", publish_run, ("result", "approval", "staged", "recommendation"), "published", io=True, rollback=retract),
    Step("commit", commit_run, ("staged",), "committed", io=True),
    Step("record", record_run, ("result", "approval", "recommendation", "published", "committed"), "published", io=True),
)

Transaction = Callable[[list[tuple[Step, Any]]], AbstractContextManager[Any]]


def run_gate(
    config: CheckConfig,
    *,
    policy: Policy | None = None,
    call: StepCaller = call_step,
    transaction: Transaction = local_transaction,
) -> GateState:
    """Run the whole gate: judge, (ask for approval,) stage, publish, move production, then record the outcome.

    Args:
        config: The options.
        policy: A policy to use instead of loading ``config.policy``.
        call: How to run one step (the Prefect flow runs each as a task).
        transaction: The transaction around :data:`COMMIT_STEPS` (Prefect's in the flow).

    Returns:
        The final state: the result, the published report and what the registry did.

    Raises:
        GapGatesError: On bad input (nothing is promoted).
        Exception: Whatever failed in the commit phase, after production was left unchanged.

    Example:
        >>> state = run_gate(merge_config("gapgates.toml"))  # doctest: +SKIP
        >>> state.passed, state.report["decision"]  # doctest: +SKIP
        (True, 'promote')
    """
    from gapgates.compute.crossval import thread_limits

    with thread_limits(None):  # native thread pools sized to the cores free now: a fair share on a loaded machine
        state = execute(GATE_STEPS, GateState(config=config, policy=policy), call=call)
        return execute(COMMIT_STEPS, state, call=call, transaction=transaction)
