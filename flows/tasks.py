"""Prefect tasks of the gate: one per step of :mod:`gapgates.gate`, built from the step declarations.

:data:`TASKS` maps every step name to a task that calls the library function the step names.
The cross-validation fans out into one ``fit-fold`` task per fold (Dask-ready), and a recommendation's sweep into
one ``judge-value`` task per value (the ``sweep`` task group, :func:`sweep_values`); everything else is one task
per step. Use them in your own flows through :func:`call_task`, which runs a step
as its task and raises a step's one-line error::

    from prefect import flow
    from gapgates.flows.tasks import call_task
    from gapgates.gate import run_gate

    @flow
    def my_gate(config):
        return run_gate(config, call=call_task).report

Known bad input (:class:`~gapgates.errors.GapGatesError`) ends a task in a Failed state whose
message is the one-line error (no retry, no traceback).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE, CachePolicy
from prefect.context import TaskRunContext
from prefect.states import Failed, State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.transactions import get_transaction
from prefect.utilities.annotations import opaque

from gapgates.compute.crossval import GapResult
from gapgates.compute.folds import FoldFit, combine_folds, fit_fold
from gapgates.config import CheckConfig
from gapgates.data.splits import Splits
from gapgates.errors import GapGatesError
from gapgates.gate import COMMIT_STEPS, GATE_STEPS
from gapgates.judge.policy import policy_hash
from gapgates.pipeline.definition import Step
from gapgates.pipeline.inputs import Prepared
from gapgates.pipeline.repeats import repeat_until_decided
from gapgates.pipeline.steps import RunResult, fitting_failed, guard_model
from gapgates.pipeline.sweep import Recommendation, judge_one, recommend_fixes, serial_folds

__all__ = [
    "IO_RETRIES",
    "RUN_CACHE",
    "TASKS",
    "RunCache",
    "call_task",
    "cross_validate",
    "fit_one_fold",
    "judge_value",
    "recommend",
    "result_or_raise",
    "run_key",
    "run_step",
    "sweep_values",
    "task_runner_for",
]

T = TypeVar("T")

#: The step a task's result is kept under in its transaction, for its rollback hook.
RESULT_KEY = "gapgates-step-result"


def _transient(task: Any, task_run: Any, state: State) -> bool:
    """Retry I/O errors, never bad input (a GapGatesError fails at once)."""
    return not isinstance(state.result(raise_on_failure=False), GapGatesError)


#: Retries for tasks that read or write files or call services; bad input is not retried.
IO_RETRIES: dict[str, Any] = {"retries": 2, "retry_delay_seconds": 2, "retry_condition_fn": _transient}


def _user_errors_fail(fn: Callable[..., T]) -> Callable[..., T | State]:
    """Turn a GapGatesError into a Failed state with its one line: no traceback, no retry."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T | State:
        try:
            return fn(*args, **kwargs)
        except GapGatesError as err:
            return Failed(message=str(err), data=err)

    return wrapper


def run_step(task_: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a task and return its result, raising the one-line GapGatesError when it failed on bad input.

    The arguments are passed ``opaque``: Prefect resolves each one (a future waits for its result, and the
    task run still records which task produced it) but does not walk into it looking for futures. The
    step results are large trees of plain values (the flagged rows, curves, per-fold scores), and that walk
    cost about 0.3 s per task at 50k rows.

    Example (inside a flow): ``prep = run_step(TASKS["data-quality-gate"], inputs)``.
    """
    args = tuple(opaque(a) for a in args)
    kwargs = {k: opaque(v) for k, v in kwargs.items()}
    return result_or_raise(task_(*args, return_state=True, **kwargs))


def result_or_raise(state: State) -> Any:
    """The result of a task state; the original error when it failed (GapGatesError included)."""
    if state.is_failed():
        data = state.result(raise_on_failure=False)
        if isinstance(data, BaseException):
            raise data
        state.result()  # raises prefect's own error for the failure
    return state.result()


def _model_file_digest(spec: str) -> str:
    """sha256 of a ``file.py:NAME`` model's file, so editing it in place changes the key ('' otherwise)."""
    path = spec.rsplit(":", 1)[0] if ".py:" in spec else None
    if path is None or not Path(path).is_file():
        return ""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _production(config: CheckConfig) -> str | None:
    """The registry's production version now (None without a registry or before the first promotion)."""
    if config.registry is None:
        return None
    from gapgates.registry import backend_for, open_registry

    directory = backend_for(config.registry).local_path(config.registry)
    if directory is not None and not directory.is_dir():
        return None
    return open_registry(config.registry, model_name=config.model_name, alias=config.alias).production


#: Config keys that cannot change any cached result: where reports go, how many workers fit (same numbers), and
#: whether a recommendation follows a block (its own step, never cached).
NOT_DECIDING = frozenset({"out", "n_jobs", "dask", "max_fits", "recommend", "verbose"})


def run_key(prep: Prepared) -> str:
    """Everything that decides a run's results: data fingerprints, the resolved config (but
    :data:`NOT_DECIDING`), the policy hash, the metrics, the model file, the registry location and
    its production version."""
    config = prep.config
    material = {
        "data": prep.fingerprint,
        "holdout": None if prep.holdout is None else prep.holdout.fingerprint,
        "config": {k: v for k, v in config.model_dump(mode="json").items() if k not in NOT_DECIDING},
        "policy": policy_hash(prep.policy),
        "metrics": prep.metrics,
        "model_file": _model_file_digest(config.model),
        "registry": config.registry,
        "production": _production(config),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class RunCache(CachePolicy):
    """Cache key = the task + :func:`run_key` of its ``prep`` + its fold rows (for a fold).

    A retried or repeated run on the same inputs, config, policy and production reuses fitted
    folds and the final model; any change to one of them refits. Results are kept in Prefect's
    result storage (``PREFECT_LOCAL_STORAGE_PATH``; point it at shared storage for a remote Dask
    cluster). The champion and the trend (step ``champion-and-trend``) are never cached.
    """

    def compute_key(
        self, task_ctx: TaskRunContext, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        prep: Prepared | None = inputs.get("prep")
        if prep is None:
            return None
        digest = hashlib.sha256()
        digest.update(task_ctx.task.name.encode())
        digest.update(run_key(prep).encode())
        for key in ("train_rows", "test_rows"):
            if key in inputs:
                digest.update(inputs[key].tobytes())
        return digest.hexdigest()


RUN_CACHE = RunCache()


def _keeps_result(fn: Callable[..., T]) -> Callable[..., T]:
    """Keep the step's result in its task's transaction, for the step's rollback hook."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        value = fn(*args, **kwargs)
        txn = get_transaction()
        if txn is not None:
            txn.set(RESULT_KEY, value)
        return value

    return wrapper


def _rollback_hook(step: Step) -> Callable[[Any], None]:
    """A Prefect ``on_rollback`` hook undoing a finished step of the commit transaction."""
    rollback = step.rollback

    def hook(txn: Any) -> None:
        if rollback is not None:
            rollback(txn.get(RESULT_KEY, None))

    hook.__name__ = f"undo-{step.name}"
    return hook


def _task_of(step: Step) -> Any:
    fn: Callable[..., Any] = _user_errors_fail(step.fn)
    options: dict[str, Any] = {"name": step.name, "cache_policy": NO_CACHE}
    if step.cache:  # a cached step's first parameter is ``prep``, which RunCache keys on
        options.update(cache_policy=RUN_CACHE, persist_result=True)
    if step.io:
        options.update(IO_RETRIES)
    if step.rollback is None:
        return task(**options)(fn)
    step_task = task(**options)(_keeps_result(fn))
    step_task.on_rollback(_rollback_hook(step))
    return step_task


#: One task per step of the gate (``cross-validate`` runs as per-fold tasks, see :func:`cross_validate`).
TASKS: dict[str, Any] = {step.name: _task_of(step) for step in (*GATE_STEPS, *COMMIT_STEPS)}


@task(name="fit-fold", task_run_name="fit-fold-{index}", cache_policy=RUN_CACHE, persist_result=True)
@_user_errors_fail
def fit_one_fold(prep: Prepared, index: int, train_rows: Any, test_rows: Any) -> FoldFit:
    """Fit and score one fold (:func:`gapgates.compute.folds.fit_fold`), with this thread's native pools sized to its
    share of the free cores (a limit set in the flow's thread does not reach a task runner's threads)."""
    from gapgates.compute.crossval import thread_limits

    model = guard_model(prep, [(train_rows, test_rows)], first=index, total=prep.config.folds * prep.config.repeats)
    try:
        with thread_limits(prep.config.workers):
            return fit_fold(model, prep.train.X, prep.train.y, train_rows, test_rows, scoring=prep.metrics, index=index)
    except GapGatesError:
        raise
    except (ValueError, TypeError) as err:
        raise fitting_failed(prep, err) from err


@task(name="combine-folds", cache_policy=NO_CACHE)
def _combine(prep: Prepared, folds: list[FoldFit]) -> GapResult:
    return combine_folds(
        folds, prep.train.X, scoring=prep.metrics, classification=prep.classification, confidence=prep.policy.gap.confidence
    )


def task_runner_for(config: CheckConfig) -> TaskRunner:
    """The task runner for the folds: Dask when ``config.dask`` is set, else threads (``n_jobs``).

    ``dask = "local"`` starts a LocalCluster (``n_jobs`` workers, default 2, one thread each)
    for the run; any other value is the address of a running scheduler.
    """
    if config.dask:
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as err:
            raise ImportError("Running the folds on Dask needs prefect-dask: pip install 'gapgates[dask]'.") from err

        if config.dask == "local":
            workers = config.workers or 2
            return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "dashboard_address": None})
        return DaskTaskRunner(address=config.dask)
    return ThreadPoolTaskRunner(max_workers=config.workers or 1)


def cross_validate(prep: Prepared, splits: Splits, *, runner: TaskRunner | None = None) -> GapResult:
    """The ``cross-validate`` step with one ``fit-fold`` task per fold, run in parallel by ``runner``.

    Call from inside a flow. ``runner`` defaults to :func:`task_runner_for` the run's config
    (a DaskTaskRunner puts every fold task on the Dask cluster). While a gated interval straddles
    its limit, :func:`gapgates.pipeline.repeats.repeat_until_decided` (the library's loop) asks
    for one more repeat of k-fold, fanned out as more ``fit-fold`` tasks (numbered on from the
    configured folds). The numbers equal the library's :func:`gapgates.pipeline.steps.compute_gap`.

    With one worker and no Dask (the default), and no ``runner`` given, the fold tasks run one after another in
    the flow's own thread: the steps after the folds (the evidence step's fits) then use the same native thread
    pool. OpenMP keeps one pool per thread that calls it, and two pools on a 2-core machine make libgomp stop
    spinning at its barriers, which slowed every later HistGradientBoosting fit of the run about 4x.

    Raises:
        GapGatesError: When a fold cannot be fit (the first failing fold's one-line error).
    """
    here = runner is None and not prep.config.dask and (prep.config.workers or 1) == 1
    pool = None if here else (runner if runner is not None else task_runner_for(prep.config))

    def fold_fits(folds: Splits, first: int) -> list[FoldFit]:
        if pool is None:
            return [
                # opaque(prep) stands for the Prepared value (Prefect unwraps it), which the overloads cannot see
                result_or_raise(fit_one_fold(opaque(prep), first + i, tr, te, return_state=True))  # type: ignore[arg-type]
                for i, (tr, te) in enumerate(folds)
            ]
        # Not opaque on submit: a DaskTaskRunner ships an opaque argument to its worker as a bare tuple.
        futures = [
            pool.submit(fit_one_fold, parameters={"prep": prep, "index": first + i, "train_rows": tr, "test_rows": te})
            for i, (tr, te) in enumerate(folds)
        ]
        for future in futures:
            future.wait()
        return [result_or_raise(future.state) for future in futures]

    def fit(folds: Splits, first: int) -> GapResult:
        # Each fold opaque: the task run records which fit-fold produced it, without walking its outputs.
        return _combine(opaque(prep), [opaque(f) for f in fold_fits(folds, first)])  # type: ignore[call-overload]

    with contextlib.nullcontext() if pool is None else pool:
        return repeat_until_decided(prep, splits, fit)


@task(name="judge-value", task_run_name="sweep-{label}", cache_policy=NO_CACHE)
@_user_errors_fail
def judge_value(prep: Prepared, label: str, splits: Splits) -> RunResult:
    """Measure and judge one value of a sweep (or one early-stopping setting) on the sweep's folds
    (:func:`gapgates.pipeline.sweep.judge_one`); ``label`` names it (``max_depth=3``)."""
    return judge_one(prep, splits)


def _label(prep: Prepared, base: dict[str, Any]) -> str:
    """The parameters a value sets over the run's own: ``max_depth=3``."""
    from gapgates.compute.sweep import format_value

    changed = {k: v for k, v in prep.config.params.items() if k not in base or base[k] != v}
    return ",".join(f"{k}={format_value(v)}" for k, v in changed.items()) or "as-is"


def sweep_values(preps: Sequence[Prepared], splits: Splits, *, runner: TaskRunner | None = None) -> list[RunResult]:
    """The sweep task group: one ``judge-value`` task per value (``sweep-max_depth=3``), fanned out like the folds.

    ``runner`` defaults to the run's Dask runner (``dask``), else threads within ``n_jobs`` clipped to the values,
    with native threads capped per worker; each value fits its folds one at a time. The numbers equal
    :func:`gapgates.pipeline.sweep.judge_values` (``gapgates sweep``, ``check --recommend``).

    Raises:
        GapGatesError: The first failing value's one-line error.
    """
    from gapgates.compute.crossval import thread_limits

    if not preps:
        return []
    config = preps[0].config
    workers = config.workers_for(len(preps)) or 1
    if runner is None:
        runner = task_runner_for(config) if config.dask else ThreadPoolTaskRunner(max_workers=workers)
    common = {k: v for k, v in config.params.items() if all(p.config.params.get(k) == v for p in preps)}
    with thread_limits(workers), runner:
        futures = [
            runner.submit(judge_value, parameters={"prep": serial_folds(prep), "label": _label(prep, common), "splits": splits})
            for prep in preps
        ]
        for future in futures:
            future.wait()
        return [result_or_raise(future.state) for future in futures]


def recommend(result: RunResult) -> Recommendation | None:
    """The ``recommend`` step in a flow: :func:`gapgates.pipeline.sweep.recommend_fixes` with the sweep's values and
    the early-stopping settings judged as ``judge-value`` tasks (:func:`sweep_values`)."""
    return recommend_fixes(result, judge=sweep_values)


def call_task(step: Step, *args: Any) -> Any:
    """Run a step of the gate as its Prefect task (the cross-validation as per-fold tasks, a recommendation's
    values as per-value tasks); call inside a flow."""
    if step.name == "cross-validate":
        return cross_validate(*args)
    if step.name == "recommend":
        return recommend(*args)
    return run_step(TASKS[step.name], *args)
