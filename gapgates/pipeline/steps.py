"""The steps of a gate run after its inputs are validated: folds → gap → diagnostics → references → decide.


Each step is a plain function of typed values, returning a frozen result. A measurement that
fails is recorded under its evidence name (its rules then fail), never raised; bad input
(a model that cannot be fit) raises its one-line :class:`~gapgates.errors.DataError`.
The order of the steps is declared once, in :mod:`gapgates.pipeline.definition`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from gapgates.compute.baseline import BaselineResult
from gapgates.compute.champion import ChampionResult
from gapgates.compute.crossval import GapResult
from gapgates.compute.drift import ReferenceDrift
from gapgates.compute.holdout import HoldoutResult
from gapgates.compute.leakage import LeakageResult
from gapgates.compute.learning_curve import LearningCurve
from gapgates.compute.noise import NoiseResult
from gapgates.compute.noise_reference import NoiseReference
from gapgates.compute.shift import ShiftResult
from gapgates.compute.training_curve import TrainingCurve
from gapgates.compute.trend import TrendResult
from gapgates.data.guard import GuardedModel, guarded, locate_folds, output_problems, unwrap
from gapgates.data.splits import Splits
from gapgates.errors import DataError, GapGatesError, UserCodeError, first_line
from gapgates.judge.checks import Check, Decision, Outcome, Status
from gapgates.judge.diagnosis import Diagnosis, diagnose
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy, policy_hash
from gapgates.judge.rules import REGISTRY, evaluate, quality_checks
from gapgates.pipeline.error_analysis import ErrorAnalysis
from gapgates.pipeline.inputs import Prepared

__all__ = [
    "Comparison",
    "Diagnostics",
    "References",
    "RunResult",
    "blocked_by_quality",
    "compare",
    "compute_gap",
    "decide",
    "diagnostics",
    "fitting_failed",
    "guard_model",
    "guarded_training_curve",
    "make_folds",
    "references",
    "worker_died",
]


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class Diagnostics:
    """What explains a gap, computed after it (no extra fit but one cheap shift model).

    Attributes:
        noise: Label noise flagged by cleanlab, with the noise-adjusted gap.
        shift: Train/holdout shift (with a holdout).
        leakage: Copied holdout rows and target-leaking columns.
        learning_curve: The optional learning curve.
        training_curve: The optional training curve of an iterative model.
        analysis: Weak segments, classification/regression evidence, Datalab's audit (no fit).
        measured: Values of the measurements registered with rules (``RuleSpec.compute``).
        errors: ``{evidence name: message}`` for the measurements that failed.
    """

    noise: NoiseResult | None = None
    shift: ShiftResult | None = None
    leakage: LeakageResult | None = None
    learning_curve: LearningCurve | None = None
    training_curve: TrainingCurve | None = None
    analysis: ErrorAnalysis = field(default_factory=ErrorAnalysis)
    measured: Mapping[str, float | None] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class References:
    """What depends on the data and the config only: the dummy baseline and the final model.

    Attributes:
        baseline: The dummy baseline on the same folds.
        holdout: Holdout scores of the final model.
        model: The final model fit on every training row (with a holdout or a registry).
        errors: ``{evidence name: message}`` for the parts that failed.
    """

    baseline: BaselineResult | None = None
    holdout: HoldoutResult | None = None
    model: Any = None
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Comparison:
    """What depends on the world outside the run: the production model and the run history.

    Never cached: production and the history change between runs.

    Attributes:
        champion: The production model scored on the same folds and holdout (with a registry).
        trend: The gap across this model's past runs (with a history).
        noise_reference: The noise rate of the last accepted data (with a registry or a history).
        reference_drift: Per-column drift of the training rows from the production version's stored
            training sample (with a registry whose production version has one).
        errors: ``{evidence name: message}`` for the parts that failed.
    """

    champion: ChampionResult | None = None
    trend: TrendResult | None = None
    noise_reference: NoiseReference | None = None
    reference_drift: ReferenceDrift | None = None
    errors: Mapping[str, str] = field(default_factory=dict)


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
    from gapgates.compute.crossval import gap
    from gapgates.pipeline.repeats import repeat_until_decided

    train = prep.train

    def fit(folds: Splits, first: int) -> GapResult:
        report = None if progress is None else (lambda done, total: progress(first + done, first + total))
        return gap(
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


def diagnostics(prep: Prepared, splits: Splits, gap_result: GapResult) -> Diagnostics:
    """Label noise (no fit), shift (one cheap fit, with a holdout), leakage (no fit), the optional
    learning curve, the optional training curve (no fit for boosting, one per fold for MLP/SGD epochs), and the
    measurements registered with rules.
    Failures are recorded, never raised."""
    from gapgates.compute.leakage import find_leakage
    from gapgates.compute.noise import label_noise
    from gapgates.compute.noise_adjusted import noise_adjusted_gap
    from gapgates.compute.shift import adversarial_validation

    train, holdout, seed = prep.train, prep.holdout, prep.config.seed
    errors: dict[str, str] = {}
    noise = shift = leakage = curve = None
    try:
        noise = label_noise(gap_result.cv, train.y, filter_by=prep.policy.noise.filter_by)
        if noise.skipped is None:
            adjusted = noise_adjusted_gap(gap_result, train.X, train.y, noise.positions, scoring=prep.metrics)
            noise = replace(noise, adjusted=adjusted)
    except UserCodeError:
        raise
    except Exception as err:  # recorded; the label_noise rules fail
        noise, errors["noise"] = None, f"label noise could not be computed: {first_line(err)}"
    if holdout is not None:
        try:
            shift = _with_column_drift(adversarial_validation(train.X, holdout.X, seed=seed), prep)
        except Exception as err:
            errors["shift"] = f"adversarial validation failed: {first_line(err)}"
    try:
        leakage = find_leakage(
            train.X, train.y, None if holdout is None else holdout.X, classification=prep.classification, seed=seed
        )
    except Exception as err:
        errors["leakage"] = f"the leakage check failed: {first_line(err)}"
    if prep.config.learning_curve:
        from gapgates.compute.learning_curve import learning_curve

        try:
            curve = learning_curve(
                guard_model(prep, label="the learning curve"),
                train.X,
                train.y,
                splits=splits,
                metric=prep.metrics[0],
                n_jobs=prep.config.workers,
            )
        except UserCodeError:
            raise
        except Exception as err:  # informative only: no rule reads it
            errors["learning_curve"] = f"the learning curve could not be computed: {first_line(err)}"
    training = guarded_training_curve(prep, gap_result, errors) if prep.config.training_curve else None
    from gapgates.pipeline.error_analysis import error_analysis

    analysis = error_analysis(prep, gap_result, errors)
    measured = _registered_measurements(prep, gap_result, errors)
    return Diagnostics(
        noise=noise,
        shift=shift,
        leakage=leakage,
        learning_curve=curve,
        training_curve=training,
        analysis=analysis,
        measured=_frozen(measured),
        errors=_frozen(errors),
    )


def _with_column_drift(shift: ShiftResult, prep: Prepared) -> ShiftResult:
    """The shift with a drift test per column of the training rows against the holdout (most drifted first)."""
    from gapgates.compute.drift import column_drift, ranked

    if prep.holdout is None:
        return shift
    alpha = prep.policy.shift.drift_alpha
    columns = column_drift(prep.train.X, prep.holdout.X[list(prep.train.X.columns)], alpha=alpha)
    return replace(shift, columns=ranked(columns), drift_alpha=alpha)


def guarded_training_curve(prep: Prepared, gap_result: GapResult, errors: dict[str, str]) -> TrainingCurve | None:
    """The training curve of the gap pass's fold models (:mod:`gapgates.compute.training_curve`); a failure (a
    model whose ``partial_fit`` raises, or exits) goes to ``errors["training_curve"]`` and gives None."""
    from gapgates.compute.training_curve import training_curve

    try:
        return training_curve(gap_result.cv, prep.train.X, prep.train.y, metric=prep.metrics[0])
    except UserCodeError:
        raise
    except (Exception, SystemExit) as err:  # informative only: no rule reads it; a model's exit cannot end the run
        errors["training_curve"] = f"the training curve could not be computed: {first_line(err)}"
        return None


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


def references(prep: Prepared, gap_result: GapResult) -> References:
    """The dummy baseline on the folds of the gap (with any repeats it added), and the final model
    (with a holdout or a registry) scored on the holdout. Failures are recorded, never raised."""
    from gapgates.compute.baseline import baseline
    from gapgates.compute.holdout import fit_final, score_holdout

    train = prep.train
    errors: dict[str, str] = {}
    try:
        base = baseline(train.X, train.y, splits=gap_result.cv.splits, scoring=prep.metrics, classification=prep.classification)
    except Exception as err:  # recorded; its rule fails
        base, errors["baseline"] = None, f"the dummy baseline could not be scored: {first_line(err)}"
    model = held = None
    if prep.holdout is not None or prep.config.registry is not None:
        try:
            final = fit_final(guard_model(prep, label="the final model"), train.X, train.y)
            if prep.holdout is not None:
                held = score_holdout(final, train.X, train.y, prep.holdout.X, prep.holdout.y, scoring=prep.metrics)
            invalid = output_problems([final])
            if invalid:  # the holdout rules fail; the report names the output
                errors["holdout"] = f"the final model's outputs are invalid: {invalid[0]}" + (
                    f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
                )
            model = unwrap(final)  # the user's own estimator is what gets registered
        except UserCodeError:
            raise
        except Exception as err:
            model, errors["gap"] = None, f"the final model could not be fit or scored: {first_line(err)}"
    return References(baseline=base, holdout=held, model=model, errors=_frozen(errors))


def compare(prep: Prepared, gap_result: GapResult) -> Comparison:
    """The registry's production model (the champion) scored on the folds of the gap (with any repeats
    it added) and the holdout, and the gap trend from the run history. Failures are recorded, never raised."""
    errors: dict[str, str] = {}
    champion = _champion(prep, gap_result.cv.splits, errors)
    trend = _trend(prep, gap_result, errors)
    reference = _noise_reference(prep, errors)
    drift = _reference_drift(prep, errors)
    return Comparison(champion=champion, trend=trend, noise_reference=reference, reference_drift=drift, errors=_frozen(errors))


def _reference_drift(prep: Prepared, errors: dict[str, str]) -> ReferenceDrift | None:
    """The per-column drift of the training rows from the sample stored with the production version (evidence:
    no rule reads it; None without a registry, a production version or a stored sample)."""
    from gapgates.compute.drift import ReferenceDrift, column_drift
    from gapgates.registry import open_registry
    from gapgates.registry.sample import load_training_sample

    config = prep.config
    if config.registry is None:
        return None
    try:
        reg = open_registry(config.registry, model_name=config.model_name, alias=config.alias)
        version = reg.production
        if version is None:
            return None
        metadata = reg.info(version).metadata
        if not isinstance(metadata.get("training_sample"), dict):
            return None  # registered before samples were stored
        sample = load_training_sample(reg, version, metadata=metadata)
        shared = [c for c in sample.features if c in prep.train.X.columns]
        if not shared:
            return None
        alpha = prep.policy.shift.drift_alpha
        columns = column_drift(sample.table[shared], prep.train.X[shared], alpha=alpha)
        return ReferenceDrift(
            version=str(version), reference_rows=sample.rows, rows=prep.train.rows, columns=columns, alpha=alpha
        )
    except Exception as err:  # evidence only: recorded, the decision does not depend on it
        errors["reference_drift"] = f"the drift from the production version's data could not be measured: {first_line(err)}"
    return None


def _noise_reference(prep: Prepared, errors: dict[str, str]) -> NoiseReference | None:
    """The noise rate of the registry's production version or, without a registry, of the history's last promoted
    run of this model (None with neither); a registry or history that cannot be read fails the noise rules."""
    from gapgates.compute.noise_reference import from_history, from_registry
    from gapgates.history import History
    from gapgates.registry import open_registry

    config = prep.config
    try:
        if config.registry is not None:
            reg = open_registry(config.registry, model_name=config.model_name, alias=config.alias)
            version = reg.production
            metadata = None if version is None else reg.info(version).metadata
            return from_registry(version, metadata, where=str(config.registry))
        if config.history_path is not None:
            runs = History(config.history_path).runs(model=config.model_name, kind="gate")
            return from_history(runs, model=config.model_name)
    except Exception as err:  # the label_noise:increase rule fails
        errors["noise_reference"] = f"the reference noise rate could not be read: {first_line(err)}"
    return None


def _champion(prep: Prepared, splits: Splits, errors: dict[str, str]) -> ChampionResult | None:
    """The production model of ``config.registry`` scored on the same folds and holdout (None without a registry)."""
    from gapgates.compute.champion import no_champion, score_champion
    from gapgates.registry import open_registry

    registry, metric = prep.config.registry, prep.metrics[0]
    if registry is None:
        return None
    try:
        reg = open_registry(registry, model_name=prep.config.model_name, alias=prep.config.alias)
        version = reg.production
        if version is None:
            return no_champion(metric, f"No production model in {registry} yet: this is the first candidate.")
        recorded = ((reg.info(version).metadata.get("gap") or {}).get(metric) or {}).get("gap_mean")
        hold = None if prep.holdout is None else (prep.holdout.X, prep.holdout.y)
        return score_champion(
            reg.load(version),
            prep.train.X,
            prep.train.y,
            splits=splits,
            metric=metric,
            version=version,
            recorded_gap=recorded,
            holdout=hold,
        )
    except Exception as err:  # a champion that cannot be loaded or scored blocks
        errors["champion"] = f"production in {registry} could not be scored: {first_line(err)}"
        return None


def _trend(prep: Prepared, gap_result: GapResult, errors: dict[str, str]) -> TrendResult | None:
    """The gap trend from the run history (None without a history); a broken history fails the trend rule."""
    from gapgates.compute.trend import load_trend

    path = prep.config.history_path
    if path is None:
        return None
    try:
        return load_trend(
            path,
            model=prep.config.model_name,
            metric=prep.metrics[0],
            current=gap_result.primary.gap_mean,
            window=prep.policy.trend.window,
        )
    except GapGatesError as err:
        errors["trend"] = str(err)
        return None


def decide(
    prep: Prepared,
    gap_result: GapResult | None,
    diag: Diagnostics | None,
    refs: References | None,
    comparison: Comparison | None = None,
) -> RunResult:
    """Assemble the evidence, judge it against the policy and diagnose the cause.

    Data that failed its critical expectations (``prep.blocked``) is blocked at once, with the
    failed expectations as checks (``gap_result``, ``diag`` and ``refs`` are then None).

    Returns:
        The judged run.
    """
    if prep.blocked:
        return blocked_by_quality(prep)
    diag = diag if diag is not None else Diagnostics()
    refs = refs if refs is not None else References()
    comparison = comparison if comparison is not None else Comparison()
    errors = {**diag.errors, **refs.errors, **comparison.errors}
    if prep.quality_error is not None:
        errors["quality"] = prep.quality_error
    evidence = Evidence(
        quality=prep.quality,
        gap=gap_result,
        baseline=refs.baseline,
        holdout=refs.holdout,
        noise=diag.noise,
        shift=diag.shift,
        leakage=diag.leakage,
        champion=comparison.champion,
        trend=comparison.trend,
        noise_reference=comparison.noise_reference,
        reference_drift=comparison.reference_drift,
        learning_curve=diag.learning_curve,
        training_curve=diag.training_curve,
        segments=diag.analysis.segments,
        classification=diag.analysis.classification,
        regression=diag.analysis.regression,
        data_issues=diag.analysis.data_issues,
        measured=diag.measured,
        errors=errors,
    )
    decision = evaluate(prep.policy, evidence)
    return RunResult(
        name=prep.config.model_name,
        decision=decision,
        evidence=evidence,
        prepared=prep,
        model=refs.model,
        created=_now(),
        diagnosis=diagnose(evidence, decision),
    )


def blocked_by_quality(prep: Prepared) -> RunResult:
    """The run of data that failed its critical expectations: block, with the failures as checks."""
    if prep.quality_error is not None:
        checks = [Check("quality", Status.FAIL, None, None, f"The quality step failed: {prep.quality_error}")]
        evidence = Evidence(errors={"quality": prep.quality_error})
    else:
        checks = quality_checks(prep.quality, required=True)
        evidence = Evidence(quality=prep.quality)
    return RunResult(
        name=prep.config.model_name,
        decision=Decision.from_checks(checks, on_fail=Outcome.BLOCK),
        evidence=evidence,
        prepared=prep,
        model=None,
        created=_now(),
    )
