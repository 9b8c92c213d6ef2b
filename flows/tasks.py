"""Prefect tasks of the gate: each a thin wrapper over one :mod:`gapgates.pipeline.run` step.

Use them in your own flows; every task takes and returns the library's objects::

    from prefect import flow
    from gapgates.flows.tasks import (block_on_quality, cross_validate, decide, diagnose, load_data, quality_gate,
                             reference_scores, run_step, split)

    @flow
    def my_gate(config):
        inputs = run_step(load_data, config)        # files, columns, model
        prep = run_step(quality_gate, inputs)       # Great Expectations, before any fit
        if prep.blocked:
            return block_on_quality(prep)
        splits = run_step(split, prep)
        gap_result = cross_validate(prep, splits)
        return decide(prep, gap_result, run_step(reference_scores, prep, splits),
                      run_step(diagnose, prep, splits, gap_result))

Known bad input (:class:`~gapgates.errors.GapGatesError`) ends a task in a Failed
state whose message is the one-line error (no retry, no traceback). Called directly,
such a task returns that Failed state; :func:`run_step` raises the error instead.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE, CachePolicy
from prefect.context import TaskRunContext
from prefect.states import Failed, State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from gapgates.compute.crossval import GapResult
from gapgates.compute.folds import FoldFit, combine_folds, fit_fold
from gapgates.config import CheckConfig
from gapgates.data.splits import Splits
from gapgates.errors import GapGatesError
from gapgates.pipeline import run as steps
from gapgates.pipeline.run import Inputs, Prepared, References, RunResult

__all__ = [
    "FingerprintCache", "block_on_quality", "cross_validate", "decide", "diagnose", "fit_one_fold", "load_data",
    "quality_gate", "reference_scores", "result_or_raise", "run_step", "split", "task_runner_for",
]

T = TypeVar("T")

#: Config keys that change what a fit produces (``out``, ``name``, ``n_jobs``, ``dask`` do not).
FIT_KEYS = ("data", "target", "model", "params", "holdout", "holdout_fraction", "folds", "repeats", "seed",
            "group", "time")


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

    Example (inside a flow): ``prep = run_step(load_data, config)``.
    """
    return result_or_raise(task_(*args, return_state=True, **kwargs))


def result_or_raise(state: State) -> Any:
    """The result of a task state; the original error when it failed (GapGatesError included)."""
    if state.is_failed():
        data = state.result(raise_on_failure=False)
        if isinstance(data, BaseException):
            raise data
        state.result()  # raises prefect's own error for the failure
    return state.result()


@dataclass
class FingerprintCache(CachePolicy):
    """Cache key = data fingerprint + fit-relevant config + step (+ fold rows).

    A retried or repeated run on the same data and config reuses fitted folds and
    the final model instead of refitting. Results are kept in Prefect's result
    storage (``PREFECT_LOCAL_STORAGE_PATH``; point it at shared storage for a
    remote Dask cluster). A ``file.py:NAME`` model edited in place keeps its key:
    rename it or change a parameter to refit.
    """

    def compute_key(
        self, task_ctx: TaskRunContext, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        prep: Prepared | None = inputs.get("prep")
        if prep is None:
            return None
        config = prep.config.model_dump(mode="json")
        digest = hashlib.sha256()
        digest.update(task_ctx.task.name.encode())
        digest.update(prep.fingerprint.encode())
        digest.update(b"" if prep.holdout is None else prep.holdout.fingerprint.encode())
        digest.update(json.dumps({k: config.get(k) for k in FIT_KEYS}, sort_keys=True, default=str).encode())
        digest.update(json.dumps(prep.metrics).encode())
        for key in ("index", "train_rows", "test_rows"):
            if key in inputs:
                digest.update(repr(inputs[key]).encode() if key == "index" else inputs[key].tobytes())
        return digest.hexdigest()


FINGERPRINT_CACHE = FingerprintCache()


@task(name="load-data", cache_policy=NO_CACHE, **IO_RETRIES)
@_user_errors_fail
def load_data(config: CheckConfig) -> Inputs:
    """Read the policy, the data and the holdout; check the columns, the model and the metrics
    (:func:`gapgates.runner.load_inputs`)."""
    return steps.load_inputs(config)


@task(name="data-quality-gate", cache_policy=NO_CACHE)
@_user_errors_fail
def quality_gate(inputs: Inputs) -> Prepared:
    """Validate the data with Great Expectations, then prepare it for the fits
    (:func:`gapgates.runner.validate_inputs`); ``Prepared.blocked`` when it failed a critical expectation."""
    return steps.validate_inputs(inputs)


@task(name="block-on-data-quality", cache_policy=NO_CACHE)
def block_on_quality(prep: Prepared) -> RunResult:
    """The block decision for data that failed its critical expectations (no model is trained)."""
    return steps.blocked_by_quality(prep)


@task(name="split", cache_policy=NO_CACHE)
@_user_errors_fail
def split(prep: Prepared) -> Splits:
    """The cross-validation folds (:func:`gapgates.runner.make_folds`)."""
    return steps.make_folds(prep)


@task(name="fit-fold", task_run_name="fit-fold-{index}", cache_policy=FINGERPRINT_CACHE, persist_result=True)
@_user_errors_fail
def fit_one_fold(prep: Prepared, index: int, train_rows: Any, test_rows: Any) -> FoldFit:
    """Fit and score one fold (:func:`gapgates.folds.fit_fold`)."""
    try:
        return fit_fold(prep.estimator, prep.train.X, prep.train.y, train_rows, test_rows, scoring=prep.metrics,
                        index=index)
    except GapGatesError:
        raise
    except (ValueError, TypeError) as err:
        raise steps.fitting_failed(prep, err) from err


@task(name="combine-folds", cache_policy=NO_CACHE)
def _combine(prep: Prepared, folds: list[FoldFit]) -> GapResult:
    return combine_folds(folds, prep.train.X, scoring=prep.metrics, classification=prep.classification,
                         confidence=prep.policy.gap.confidence)


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
            workers = config.n_jobs if config.n_jobs and config.n_jobs > 0 else 2
            return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                                  "dashboard_address": None})
        return DaskTaskRunner(address=config.dask)
    import os

    n_jobs = config.n_jobs or 1
    return ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1 if n_jobs < 0 else n_jobs)


def cross_validate(prep: Prepared, splits: Splits, *, runner: TaskRunner | None = None) -> GapResult:
    """The cross-validated gap with one ``fit-fold`` task per fold, run in parallel by ``runner``.

    Call from inside a flow. ``runner`` defaults to :func:`task_runner_for` the run's config
    (a DaskTaskRunner puts every fold task on the Dask cluster).

    Raises:
        GapGatesError: When a fold cannot be fit (the first failing fold's one-line error).
    """
    runner = runner if runner is not None else task_runner_for(prep.config)
    with runner:
        futures = [
            runner.submit(fit_one_fold, parameters={"prep": prep, "index": i, "train_rows": tr, "test_rows": te})
            for i, (tr, te) in enumerate(splits)
        ]
        for future in futures:
            future.wait()
        folds = [result_or_raise(future.state) for future in futures]
    return _combine(prep, folds)


@task(name="diagnose", cache_policy=NO_CACHE)
@_user_errors_fail
def diagnose(prep: Prepared, splits: Splits, gap_result: GapResult) -> dict[str, Any]:
    """Label noise, shift, leakage after the gap (:func:`gapgates.runner.diagnose`)."""
    return steps.diagnose(prep, splits, gap_result)


@task(name="baseline-and-holdout", cache_policy=FINGERPRINT_CACHE, persist_result=True)
@_user_errors_fail
def reference_scores(prep: Prepared, splits: Splits) -> References:
    """Dummy baseline on the same folds and the final model on the holdout."""
    return steps.reference_scores(prep, splits)


@task(name="decide", cache_policy=NO_CACHE)
def decide(prep: Prepared, gap_result: GapResult, refs: References, diagnosis: dict[str, Any]) -> RunResult:
    """Judge the evidence, the data-quality result included, against the policy (:func:`gapgates.runner.decide`)."""
    return steps.decide(prep, gap_result, refs, steps.quality_evidence(prep), diagnosis)
