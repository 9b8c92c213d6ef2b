"""The run order of the gate, declared once.

A :class:`Step` names a library function, the :class:`RunState` fields it reads and the one it
writes. :data:`JUDGE_STEPS` takes a config to a judged :class:`~gapgates.pipeline.steps.RunResult`::

    load-data → data-quality-gate → split → cross-validate → evidence → baseline-and-holdout
              → champion-and-trend → decide

The steps that measure (``cross-validate``, ``evidence``, ``baseline-and-holdout``, ``champion-and-trend``) compute
the registered measurements of their kind (:mod:`gapgates.measurements`), so a new measurement needs no new step.

The commit phase (approval → stage → publish → commit) is declared beside it in
:mod:`gapgates.gate`, which sits above the publishing and enforcement modules. ``gapgates check``,
:func:`run_check` and the Prefect flow all execute these declarations with :func:`execute`; an
orchestrator passes its own ``call`` to run each step as a task (the flow fans the
cross-validation out per fold and pauses for approval there), never its own order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

from gapgates.compute.crossval import GapResult, renewed_thread_limits
from gapgates.config import CheckConfig
from gapgates.data.splits import Splits
from gapgates.judge.policy import Policy
from gapgates.pipeline.inputs import Inputs, Prepared, load_inputs, validate_inputs
from gapgates.pipeline.steps import Findings, RunResult, compare, compute_gap, decide, evidence, make_folds, references

__all__ = [
    "JUDGE_STEPS",
    "RunState",
    "Step",
    "StepCaller",
    "call_step",
    "execute",
    "local_transaction",
    "run_check",
    "with_progress",
]

S = TypeVar("S", bound="RunState")


@dataclass(frozen=True, eq=False)
class RunState:
    """Everything a run has produced so far; each step fills one field.

    Attributes:
        config: The options.
        policy: A policy given in code instead of ``config.policy`` (None: load the file).
        inputs: The files, model and metrics as read.
        prepared: The validated inputs (after the data-quality gate).
        splits: The configured cross-validation folds (``gap.cv.splits`` adds the repeats added
            while a gated interval straddled its limit; later steps score on those).
        gap: The cross-validated gap.
        evidence: What the ``evidence`` step measured from the gap's fold models (noise, shift, leakage...).
        references: Baseline, holdout, final model.
        comparison: Champion, trend, reference noise rate and drift (never cached: production and the history change).
        result: The judged run.
    """

    config: CheckConfig
    policy: Policy | None = None
    inputs: Inputs | None = None
    prepared: Prepared | None = None
    splits: Splits | None = None
    gap: GapResult | None = None
    evidence: Findings | None = None
    references: Findings | None = None
    comparison: Findings | None = None
    result: RunResult | None = None

    @property
    def blocked(self) -> bool:
        """True once the data-quality gate refused the data: no model may be fit."""
        return self.prepared is not None and self.prepared.blocked


@dataclass(frozen=True)
class Step:
    """One step of the run.

    Attributes:
        name: The step's name (also its Prefect task name).
        fn: The library function; called with the ``reads`` fields, positionally.
        reads: :class:`RunState` fields passed to ``fn``.
        writes: The field set from ``fn``'s return value.
        fits: Fits a model: skipped when the data-quality gate refused the data.
        cache: Its result depends only on the run's key and its inputs: an orchestrator may cache it.
        io: Reads or writes files or services: an orchestrator may retry it on I/O errors.
        rollback: Called with the step's result when a later step of the same transaction fails.
    """

    name: str
    fn: Callable[..., Any]
    reads: tuple[str, ...]
    writes: str
    fits: bool = False
    cache: bool = False
    io: bool = False
    rollback: Callable[[Any], None] | None = None


#: Runs one step: ``call(step, *args)`` returns the step's result (the default calls ``step.fn``).
StepCaller = Callable[..., Any]


def call_step(step: Step, *args: Any) -> Any:
    """Run a step in this process."""
    return step.fn(*args)


JUDGE_STEPS: tuple[Step, ...] = (
    Step("load-data", load_inputs, ("config", "policy"), "inputs", io=True),
    Step("data-quality-gate", validate_inputs, ("inputs",), "prepared"),
    Step("split", make_folds, ("prepared",), "splits", fits=True),
    Step("cross-validate", compute_gap, ("prepared", "splits"), "gap", fits=True, cache=True),
    Step("evidence", evidence, ("prepared", "splits", "gap"), "evidence", fits=True),
    Step("baseline-and-holdout", references, ("prepared", "gap"), "references", fits=True, cache=True),
    Step("champion-and-trend", compare, ("prepared", "gap"), "comparison", fits=True, io=True),
    Step("decide", decide, ("prepared", "gap", "evidence", "references", "comparison"), "result"),
)


@contextmanager
def local_transaction(done: list[tuple[Step, Any]]) -> Iterator[None]:
    """Undo the finished steps (newest first) when a later step of the transaction raises, then re-raise."""
    try:
        yield
    except BaseException:
        for step, value in reversed(done):
            if step.rollback is not None:
                step.rollback(value)
        raise


def execute(
    steps: Sequence[Step],
    state: S,
    *,
    call: StepCaller = call_step,
    transaction: Callable[[list[tuple[Step, Any]]], AbstractContextManager[Any]] | None = None,
) -> S:
    """Run steps in order, each reading and writing fields of ``state``.

    A step that fits runs with the run's native thread limits applied again
    (:func:`~gapgates.compute.crossval.renewed_thread_limits`): they then reach the OpenMP runtime
    the model brought when the load-data step resolved it.

    Args:
        steps: The steps, in their declared order.
        state: The state so far.
        call: How to run one step (the Prefect flow passes one that runs it as a task).
        transaction: When given, the steps run inside ``transaction(done)``, which must undo the
            finished steps (``done``: ``(step, result)`` pairs) if a later one fails.

    Returns:
        The state with every step's field filled (steps that fit are skipped for refused data).
    """
    done: list[tuple[Step, Any]] = []

    def run(current: S) -> S:
        for step in steps:
            if step.fits and current.blocked:
                continue
            with renewed_thread_limits() if step.fits else nullcontext():
                value = call(step, *(getattr(current, name) for name in step.reads))
            done.append((step, value))
            current = dataclasses.replace(current, **{step.writes: value})
        return current

    if transaction is None:
        return run(state)
    with transaction(done):
        return run(state)


def run_check(
    config: CheckConfig, *, policy: Policy | None = None, progress: Callable[[int, int], None] | None = None
) -> RunResult:
    """Run the gate's judging steps (:data:`JUDGE_STEPS`): load, validate, fit, measure, decide.

    Writes nothing and promotes nothing: :func:`gapgates.gate.run_gate` adds the commit phase.

    Args:
        config: The options.
        policy: A policy to use instead of loading ``config.policy``.
        progress: Called with ``(folds_done, folds_total)`` during cross-validation.

    Returns:
        The decision with its evidence and the final model (fit when there is a holdout or a registry).

    Raises:
        ConfigError: On usage errors.
        DataError: On bad data, including data the model cannot be fit on.

    Example:
        >>> config = CheckConfig(data="d.csv", target="y", model="sklearn.tree.DecisionTreeClassifier")
        >>> run_check(config).decision.outcome.value  # doctest: +SKIP
        'block'
    """
    from gapgates.compute.crossval import start_workers, thread_limits

    with thread_limits(None):  # native thread pools sized to the cores free now (see thread_limits)
        start_workers(config.workers, model=config.model)  # the pass's workers start while the data is read
        state = execute(JUDGE_STEPS, RunState(config=config, policy=policy), call=with_progress(progress))
    if state.result is None:  # decide always runs; kept explicit for the type checker
        raise RuntimeError("The run ended without a decision.")
    return state.result


def with_progress(progress: Callable[[int, int], None] | None) -> StepCaller:
    """A step caller that reports cross-validation progress (``(folds_done, folds_total)``)."""

    def call(step: Step, *args: Any) -> Any:
        if step.fn is compute_gap and progress is not None:
            return compute_gap(*args, progress=progress)
        return step.fn(*args)

    return call
