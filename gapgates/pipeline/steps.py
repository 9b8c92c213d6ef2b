"""The steps of a gate run after its inputs are validated: folds → gap → evidence → references → decide.

Each step is a plain function of typed values, returning a frozen result. The measurements each step computes
are the registered ones of that step (:func:`gapgates.measurements.in_step`), run in registry order; one that
fails is recorded under its name (its rules then fail), never raised; bad input (a model that cannot be fit)
raises its one-line :class:`~gapgates.errors.DataError`. The order of the steps is declared once, in
:mod:`gapgates.pipeline.definition`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from gapgates.compute.crossval import GapResult
from gapgates.data.guard import GuardedModel, guarded, locate_folds, unwrap
from gapgates.data.splits import Splits
from gapgates.errors import DataError, GapGatesError, UserCodeError, first_line
from gapgates.judge.checks import Check, Decision, Outcome, Status
from gapgates.judge.diagnosis import Diagnosis, diagnose
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy, policy_hash
from gapgates.judge.rules import REGISTRY, evaluate
from gapgates.measurements import Context, Incomplete, Step, in_step
from gapgates.measurements.quality import quality_checks
from gapgates.pipeline.inputs import Prepared

__all__ = [
    "Findings",
    "RunResult",
    "blocked_by_quality",
    "compare",
    "compute_gap",
    "decide",
    "evidence",
    "fitting_failed",
    "guard_model",
    "make_folds",
    "measure",
    "references",
    "worker_died",
]


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class Findings:
    """What one step measured: the results of its measurements, by name.

    Attributes:
        results: ``{measurement name: result}`` (None: it does not apply to this run).
        errors: ``{evidence name: message}`` for the measurements that failed.
        measured: Values of the rules' own measurements (``RuleSpec.compute``; the evidence step).
        model: The final model fit on every training row (the references step, with a holdout or a registry).
    """

    results: Mapping[str, Any] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    measured: Mapping[str, float | None] = field(default_factory=dict)
    model: Any = None


@dataclass(frozen=True, eq=False)
class RunResult:
    """A judged gate run: what was computed, the decision, and the model to register.

    Attributes:
        name: Model name.
        decision: The verdict and its checks.
        evidence: Everything computed.
        prepared: The validated inputs.
        model: The final model fit on all training rows, or None when not fit.
        created: UTC time the run was judged, ISO 8601.
        diagnosis: The most likely cause of the gap, or None when no model was trained.
    """

    name: str
    decision: Decision
    evidence: Evidence
    prepared: Prepared
    model: Any | None
    created: str
    diagnosis: Diagnosis | None = None

    @property
    def policy(self) -> Policy:
        """The policy the run was judged by."""
        return self.prepared.policy

    @property
    def policy_hash(self) -> str:
        """sha256 of the policy."""
        return policy_hash(self.prepared.policy)


def _now() -> str:
    """UTC now, ISO 8601 to the second: the ``created`` time of a run."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def make_folds(prep: Prepared) -> Splits:
    """The cross-validation folds of a run (materialised once, shared by every step)."""
    from gapgates.data.splits import make_splits

    config, train = prep.config, prep.train
    return make_splits(
        train.X,
        train.y,
        classification=prep.classification,
        n_splits=config.folds,
        n_repeats=config.repeats,
        seed=config.seed,
        groups=train.groups,
        time=train.time,
    )


def fitting_failed(prep: Prepared, err: BaseException) -> DataError:
    """The one-line error for a model that cannot be fit on the data."""
    return DataError(f"Fitting {prep.config.model_name} on the data failed: {first_line(err)}")


def worker_died(prep: Prepared, err: BaseException) -> UserCodeError:
    """The one-line error for a worker process that died while it fitted the model (os._exit, a crash, memory)."""
    return UserCodeError(
        f"A worker process fitting {prep.config.model_name} died ({first_line(err)}): the model may have called "
        "os._exit, crashed or run out of memory. Nothing was promoted; try --n-jobs 1 to see the model's own error."
    )


def guard_model(
    prep: Prepared, splits: Splits | None = None, *, first: int = 0, total: int | None = None, label: str = ""
) -> GuardedModel:
    """The run's estimator behind the user-code guard (:mod:`gapgates.data.guard`), knowing the folds of ``splits``
    (numbered from ``first + 1`` of ``total``) for its messages."""
    folds = None if splits is None else locate_folds(prep.train.X, splits, first=first, total=total)
    return guarded(prep.estimator, name=prep.config.model_name, folds=folds, label=label)


def compute_gap(prep: Prepared, splits: Splits, *, progress: Callable[[int, int], None] | None = None) -> GapResult:
    """The cross-validated gap on the given folds (one ``cross_validate`` pass), with repeats of
    k-fold added while a gated interval straddles its limit (:func:`gapgates.pipeline.repeats.repeat_until_decided`,
    one more pass per repeat).

    Raises:
        DataError: If the model cannot be fit on the data.
    """
    from gapgates.compute.crossval import measure_gap
    from gapgates.pipeline.repeats import repeat_until_decided

    train = prep.train

    def fit(folds: Splits, first: int) -> GapResult:
        report = None if progress is None else (lambda done, total: progress(first + done, first + total))
        return measure_gap(
            guard_model(prep, folds, first=first),
            train.X,
            train.y,
            scoring=prep.metrics,
            splits=folds,
            confidence=prep.policy.gap.confidence,
            n_jobs=prep.config.workers,
            progress=report,
        )

    try:
        return repeat_until_decided(prep, splits, fit)
    except GapGatesError:
        raise
    except (ValueError, TypeError) as err:
        raise fitting_failed(prep, err) from err
    except BrokenProcessPool as err:
        raise worker_died(prep, err) from err


def measure(step: Step, ctx: Context) -> tuple[dict[str, Any], dict[str, str]]:
    """Run the registered measurements of one step, in registry order; each sees the results of those before it.

    Returns:
        ``(results, errors)``: a failed measurement's error goes to ``errors`` under its name (its rules then fail);
        a :class:`~gapgates.errors.UserCodeError` (the model's own code raised or exited) ends the run.
    """
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for measurement in in_step(step):
        if measurement.compute is None:
            continue
        try:
            value = measurement.compute(Context(prep=ctx.prep, splits=ctx.splits, gap=ctx.gap, model=ctx.model, found=results))
        except UserCodeError:
            raise
        except Incomplete as err:  # a result that cannot be trusted: kept, and its rules fail
            value, errors[measurement.name] = err.result, str(err)
        except (Exception, SystemExit) as err:  # recorded; the rules reading it fail (a model's exit cannot end the run)
            value, errors[measurement.name] = None, measurement.failed(first_line(err))
        results[measurement.name] = value
    return results, errors


def evidence(prep: Prepared, splits: Splits, gap_result: GapResult) -> Findings:
    """What explains the gap, from the gap pass's fold models (no fit but cheap ones and the optional curves): the
    measurements of the ``evidence`` step (label noise, shift, leakage, weak segments, how the model errs, Datalab's
    audit, the learning and training curves...) and the values the rules compute themselves.
    Failures are recorded, never raised."""
    results, errors = measure("evidence", Context(prep=prep, splits=splits, gap=gap_result))
    measured = _registered_measurements(prep, gap_result, errors)
    return Findings(results=_frozen(results), errors=_frozen(errors), measured=_frozen(measured))


def _registered_measurements(prep: Prepared, gap_result: GapResult, errors: dict[str, str]) -> dict[str, float | None]:
    """The values of the measurements registered with rules (``RuleSpec.compute``); failures go to ``errors``."""
    measured: dict[str, float | None] = {}
    for spec in list(REGISTRY.values()):
        if spec.compute is None:
            continue
        try:
            value = spec.compute(prep, gap_result)
            measured[spec.evidence] = None if value is None else float(value)
        except (Exception, SystemExit) as err:  # a rule's own code cannot end the run either: its rule fails
            errors[spec.evidence] = f"{spec.name} could not be computed: {first_line(err)}"
    return measured


def references(prep: Prepared, gap_result: GapResult) -> Findings:
    """What depends on the data and the config only: the final model (with a holdout or a registry) and the
    measurements of the ``references`` step (the dummy baseline on the gap's folds, the holdout scores).
    Failures are recorded, never raised."""
    errors: dict[str, str] = {}
    final = model = None
    if prep.holdout is not None or prep.config.registry is not None:
        from gapgates.compute.holdout import fit_final

        try:
            final = fit_final(guard_model(prep, label="the final model"), prep.train.X, prep.train.y)
            model = unwrap(final)  # the user's own estimator is what gets registered
        except UserCodeError:
            raise
        except Exception as err:
            errors["gap"] = f"the final model could not be fit or scored: {first_line(err)}"
    results, found = measure("references", Context(prep=prep, gap=gap_result, model=final))
    return Findings(results=_frozen(results), errors=_frozen({**found, **errors}), model=model)


def compare(prep: Prepared, gap_result: GapResult) -> Findings:
    """What depends on the world outside the run (never cached: production and the history change): the
    measurements of the ``comparison`` step (the champion on the same folds, the gap trend, the reference noise
    rate, the drift from production's data). Failures are recorded, never raised."""
    results, errors = measure("comparison", Context(prep=prep, splits=gap_result.cv.splits, gap=gap_result))
    return Findings(results=_frozen(results), errors=_frozen(errors))


def decide(
    prep: Prepared,
    gap_result: GapResult | None,
    found: Findings | None,
    refs: Findings | None,
    comparison: Findings | None = None,
) -> RunResult:
    """Assemble the evidence, judge it against the policy and diagnose the cause.

    Data that failed its critical expectations (``prep.blocked``) is blocked at once, with the
    failed expectations as checks (``gap_result`` and the findings are then None).

    Returns:
        The judged run.
    """
    if prep.blocked:
        return blocked_by_quality(prep)
    parts = [f for f in (found, refs, comparison) if f is not None]
    errors = {k: v for f in parts for k, v in f.errors.items()}
    if prep.quality_error is not None:
        errors["quality"] = prep.quality_error
    results = {"quality": prep.quality, "gap": gap_result, **{k: v for f in parts for k, v in f.results.items()}}
    measured = {k: v for f in parts for k, v in f.measured.items()}
    ev = Evidence(results, measured=measured, errors=errors)
    decision = evaluate(prep.policy, ev)
    return RunResult(
        name=prep.config.model_name,
        decision=decision,
        evidence=ev,
        prepared=prep,
        model=refs.model if refs is not None else None,
        created=_now(),
        diagnosis=diagnose(ev, decision),
    )


def blocked_by_quality(prep: Prepared) -> RunResult:
    """The run of data that failed its critical expectations: block, with the failures as checks."""
    if prep.quality_error is not None:
        checks = [Check("quality", Status.FAIL, None, None, f"The quality step failed: {prep.quality_error}")]
        ev = Evidence(errors={"quality": prep.quality_error})
    else:
        checks = quality_checks(prep.quality, required=True)
        ev = Evidence(quality=prep.quality)
    return RunResult(
        name=prep.config.model_name,
        decision=Decision.from_checks(checks, on_fail=Outcome.BLOCK),
        evidence=ev,
        prepared=prep,
        model=None,
        created=_now(),
    )
