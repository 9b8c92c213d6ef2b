"""A capacity sweep: the gate's judging steps once per value of one parameter, on the same folds.

The data is read and validated once (:func:`~gapgates.pipeline.inputs.load_inputs`,
:func:`~gapgates.pipeline.inputs.validate_inputs`: the data-quality gate runs once) and the folds
are made once (:func:`~gapgates.pipeline.steps.make_folds`). Then, for each value, the run's own
steps after the split (:data:`VALUE_STEPS`, taken from :data:`~gapgates.pipeline.definition.JUDGE_STEPS`)
measure and judge it, as ``gapgates check --param PARAM=VALUE`` would: cross-validate (one pass on
the same folds, plus the repeats of k-fold its share of the fit ceiling allows), evidence,
baseline-and-holdout, champion-and-trend and decide (every rule of the policy, through the rule registry).

The **recommendation** is the value whose run the policy promotes with the best mean test score on
the primary metric; a tie (equal to 12 decimals) goes to the less flexible value
(:func:`gapgates.compute.sweep.capacity_order`). None when no value passes.

The fit ceiling (``max_fits``, ``--max-fits``) covers the whole sweep: values × folds × repeats
must stay within it, and each value may add repeats only within its equal share of it. The values
run in parallel within ``--n-jobs`` (:func:`judge_values`): never more workers than ``n_jobs``, and the
same numbers whatever ``n_jobs`` is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gapgates.compute.crossval import GapResult, MetricGap
from gapgates.compute.intervals import fold_standard_error
from gapgates.compute.sweep import (
    Regime,
    SweepSpec,
    capacity_increases,
    capacity_order,
    default_sweep,
    format_value,
    label_regimes,
)
from gapgates.compute.training_curve import TrainingCurve
from gapgates.config import CheckConfig
from gapgates.data.splits import Splits
from gapgates.errors import ConfigError, GapGatesError
from gapgates.judge.checks import Outcome
from gapgates.judge.policy import Policy
from gapgates.pipeline.definition import JUDGE_STEPS, RunState, execute
from gapgates.pipeline.inputs import Prepared, load_inputs, validate_inputs, with_params
from gapgates.pipeline.steps import RunResult, blocked_by_quality, make_folds, worker_died

__all__ = [
    "RECOMMEND_FOR",
    "VALUE_STEPS",
    "JudgeValues",
    "Recommendation",
    "StoppingSetting",
    "SweepPoint",
    "SweepResult",
    "check_sweep",
    "default_spec",
    "early_stopping_after",
    "judge_one",
    "judge_values",
    "recheck_stopping",
    "recommend",
    "recommend_after",
    "recommend_fixes",
    "run_sweep",
    "serial_folds",
    "stopping_settings",
    "sweep_fits",
]

#: The diagnoses after which ``gapgates check --recommend`` sweeps the model's capacity.
RECOMMEND_FOR = frozenset({"overfit", "underfit"})

#: Judges a sweep's values on its folds: ``judge(preps, splits)`` returns one judged run per prepared value, in
#: order (:func:`judge_values` in this process; the Prefect flow submits one task per value).
JudgeValues = Callable[[Sequence[Prepared], Splits], list[RunResult]]


@dataclass(frozen=True, eq=False)
class SweepPoint:
    """One value of the sweep, measured and judged.

    Attributes:
        value: The parameter's value.
        run: The judged run of the model with that value (its gap, checks and decision).
        regime: Classical, critical or modern (None when its scores are not finite).
    """

    value: Any
    run: RunResult
    regime: Regime | None

    @property
    def gap(self) -> GapResult:
        """The cross-validated gap of this value."""
        if self.run.evidence.gap is None:  # a sweep only judges runs that were fitted
            raise RuntimeError("A sweep value was judged without a gap.")
        return self.run.evidence.gap

    @property
    def primary(self) -> MetricGap:
        """The primary metric's gap."""
        return self.gap.primary

    @property
    def passed(self) -> bool:
        """Whether the policy promotes this value."""
        return self.run.decision.outcome is Outcome.PROMOTE


@dataclass(frozen=True, eq=False)
class SweepResult:
    """A judged capacity sweep.

    Attributes:
        param: The parameter swept.
        points: The values measured, from the least to the most flexible model.
        prepared: The validated inputs (the config without the swept value).
        increasing: Whether larger values of ``param`` add capacity.
        recommended: The passing value with the best primary test score (None: no value passes).
        created: UTC time the sweep was judged, ISO 8601.
        refused: The run that blocked the data at the data-quality gate (then no value was fit), else None.
    """

    param: str
    points: tuple[SweepPoint, ...]
    prepared: Prepared
    increasing: bool
    recommended: SweepPoint | None
    created: str
    refused: RunResult | None = None

    @property
    def metric(self) -> str:
        """The primary metric."""
        return self.prepared.metrics[0]

    @property
    def param_line(self) -> str | None:
        """The recommendation as a ready option: ``--param max_depth=6`` (None when no value passes)."""
        if self.recommended is None:
            return None
        return f"--param {self.param}={format_value(self.recommended.value)}"


def sweep_fits(config: CheckConfig, n_values: int) -> int:
    """Model fits of a sweep's cross-validation: values × folds × repeats."""
    return n_values * config.folds * config.repeats


def check_sweep(config: CheckConfig, spec: SweepSpec) -> None:
    """Refuse a sweep that cannot run as asked, before anything is read.

    Raises:
        ConfigError: With ``--learning-curve``, ``--training-curve`` or ``--promote``, a swept parameter also
            given with ``--param``, or more fits than the ceiling allows.
    """
    if config.learning_curve:
        raise ConfigError(
            "gapgates sweep does not fit learning curves (5 × folds more fits per value). "
            "Drop --learning-curve; run it with gapgates check on the recommended value."
        )
    if config.training_curve:
        raise ConfigError(
            "gapgates sweep does not replay training curves (its table has no place for one per "
            "value). Drop --training-curve; run gapgates check --training-curve on the recommended value."
        )
    if config.promote:
        raise ConfigError(
            "gapgates sweep registers and promotes nothing. Drop --promote; re-check the recommended "
            "value with gapgates check --promote."
        )
    if spec.param in config.params:
        raise ConfigError(f"The parameter {spec.param!r} is both swept and set with --param. Drop one of them.")
    fits = sweep_fits(config, len(spec.values))
    if fits > config.max_fits:
        raise ConfigError(
            f"The sweep would fit the model {fits:,} times ({len(spec.values)} values × {config.folds} folds × "
            f"{config.repeats} repeats), more than the limit of {config.max_fits:,}. Sweep fewer values, use fewer "
            f"--folds or --repeats, or raise the limit with --max-fits {fits}."
        )


def recommend(points: tuple[SweepPoint, ...]) -> SweepPoint | None:
    """The passing value with the best primary test score; ties go to the first (least flexible) one.

    Args:
        points: The judged values, from the least to the most flexible model.

    Returns:
        The recommended value, or None when the policy promotes none.
    """
    best: SweepPoint | None = None
    for point in points:
        score = point.primary.test_mean
        if not point.passed or score != score:  # NaN never wins
            continue
        if best is None or round(score, 12) > round(best.primary.test_mean, 12):
            best = point
    return best


def run_sweep(
    config: CheckConfig, spec: SweepSpec, *, policy: Policy | None = None, judge: JudgeValues | None = None
) -> SweepResult:
    """Measure and judge the model once per value of ``spec.param``, on the same folds of the data read once.

    The values are judged in parallel within ``--n-jobs`` (:func:`judge_values`; each value's folds then run one
    at a time, so no more than ``n_jobs`` workers fit at once). The numbers do not depend on ``n_jobs``. Writes
    nothing and promotes nothing.

    Args:
        config: The options, as for ``gapgates check`` (``config.params`` must not set ``spec.param``).
        spec: The parameter and its values (:func:`gapgates.compute.sweep.parse_sweep`).
        policy: A policy to use instead of loading ``config.policy``.
        judge: How to judge the values (the Prefect flow submits one task per value); default
            :func:`judge_values`.

    Returns:
        The values in order of capacity, each with its judged run and regime, and the recommendation.

    Raises:
        ConfigError: On usage errors (see :func:`check_sweep`, and those of ``gapgates check``).
        DataError: On bad data, including data the model cannot be fit on with one of the values.

    Example:
        >>> from gapgates.compute.sweep import parse_sweep
        >>> config = CheckConfig(data="d.csv", target="y", model="sklearn.tree.DecisionTreeClassifier")
        >>> run_sweep(config, parse_sweep("max_depth=1..8")).param_line  # doctest: +SKIP
        '--param max_depth=4'
    """
    check_sweep(config, spec)
    prep = validate_inputs(load_inputs(config, policy=policy))
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    increasing = capacity_increases(spec.param)
    if prep.blocked:
        return SweepResult(
            param=spec.param,
            points=(),
            prepared=prep,
            increasing=increasing,
            recommended=None,
            created=created,
            refused=blocked_by_quality(prep),
        )
    splits = make_folds(prep)
    share = config.max_fits // len(spec.values)
    values = [spec.values[index] for index in capacity_order(spec.param, spec.values)]
    preps = [with_params(prep, {spec.param: value}, max_fits=share) for value in values]
    runs = (judge or judge_values)(preps, splits)
    primaries = [run.evidence.gap.primary if run.evidence.gap is not None else None for run in runs]
    nan = float("nan")
    regimes = label_regimes(
        [nan if p is None else p.train_mean for p in primaries],
        [nan if p is None else p.test_mean for p in primaries],
        test_se=[nan if p is None else float(fold_standard_error(p.test)) for p in primaries],
    )
    points = tuple(SweepPoint(value=value, run=run, regime=regime) for value, run, regime in zip(values, runs, regimes))
    return SweepResult(
        param=spec.param, points=points, prepared=prep, increasing=increasing, recommended=recommend(points), created=created
    )


def judge_one(prep: Prepared, splits: Splits) -> RunResult:
    """One value: the run's judging steps after the split (cross-validate → ... → decide), on the sweep's folds."""
    state = execute(VALUE_STEPS, RunState(config=prep.config, prepared=prep, splits=splits))
    if state.result is None:  # decide always runs; kept explicit for the type checker
        raise RuntimeError("A sweep value ended without a decision.")
    return state.result


def serial_folds(prep: Prepared) -> Prepared:
    """The value's inputs with its folds fitted one at a time: the values are the parallel work."""
    return replace(prep, config=prep.config.model_copy(update={"n_jobs": None}))


def judge_values(preps: Sequence[Prepared], splits: Splits) -> list[RunResult]:
    """Judge each value (:func:`judge_one`) on the same folds, in parallel within ``--n-jobs``.

    With more than one worker (``n_jobs`` clipped to the usable cores and the values), the values run in joblib's
    process workers (as the folds do), each fitting its folds one at a time, with native threads capped per
    worker (:func:`gapgates.compute.crossval.thread_limits`); otherwise one after another, each with its folds in
    parallel as ``gapgates check`` fits them. The numbers are the same either way.

    Raises:
        GapGatesError: The first failing value's one-line error (bad data, the model's own error).
        UserCodeError: When a worker process died.
    """
    if not preps:
        return []
    workers = preps[0].config.workers_for(len(preps)) or 1
    if workers <= 1:
        return [judge_one(prep, splits) for prep in preps]
    from concurrent.futures.process import BrokenProcessPool

    from joblib import Parallel, delayed

    from gapgates.compute.crossval import thread_limits

    try:
        with thread_limits(workers):
            return list(Parallel(n_jobs=workers)(delayed(judge_one)(serial_folds(prep), splits) for prep in preps))
    except BrokenProcessPool as err:
        raise worker_died(preps[0], err) from err


def _last_step(config: CheckConfig) -> tuple[Any, str]:
    """The config's model (a ``Pipeline``'s last step) and the prefix its parameters take (``logisticregression__``).

    Raises:
        ConfigError: If the model cannot be built (as in ``gapgates check``).
    """
    from sklearn.pipeline import Pipeline

    from gapgates.data.model import build_model

    estimator, prefix = build_model(config.model, config.params, name=config.model_name), ""
    if isinstance(estimator, Pipeline):
        prefix = f"{estimator.steps[-1][0]}__"
        estimator = estimator.steps[-1][1]
    return estimator, prefix


def default_spec(config: CheckConfig) -> SweepSpec | None:
    """The default sweep for the config's model (:data:`gapgates.compute.sweep.DEFAULT_SWEEPS`), or None.

    For a scikit-learn ``Pipeline`` the parameter of its last step is swept (``logisticregression__C``).

    Raises:
        ConfigError: If the model cannot be built (as in ``gapgates check``).
    """
    estimator, prefix = _last_step(config)
    spec = default_sweep(estimator)
    return None if spec is None else SweepSpec(param=prefix + spec.param, values=spec.values)


def _blocked_for(result: RunResult, labels: frozenset[str]) -> bool:
    diagnosis = result.diagnosis
    return result.decision.outcome is not Outcome.PROMOTE and diagnosis is not None and diagnosis.label in labels


def _for_values(config: CheckConfig, params: dict[str, Any]) -> CheckConfig:
    """The config a recommendation's values run with: no curves per value, nothing promoted, no recommendation."""
    return config.model_copy(
        update={"params": params, "learning_curve": False, "training_curve": False, "promote": False, "recommend": False}
    )


def recommend_after(result: RunResult, *, judge: JudgeValues | None = None) -> SweepResult | None:
    """The default capacity sweep after a run blocked for ``overfit`` or ``underfit`` (``check --recommend``).

    The swept parameter is dropped from the config's own parameters, and the sweep runs under the
    run's policy, with the run's folds, seed and fit ceiling; the run's learning and training curves
    are not redone per value.

    Args:
        result: The judged run.
        judge: How to judge the values (default :func:`judge_values`).

    Returns:
        The judged sweep; None when the run passed, was not diagnosed overfit or underfit, or its
        model has no default sweep.

    Raises:
        ConfigError: If the default sweep does not fit within the fit ceiling (the message names the fix).
    """
    if not _blocked_for(result, RECOMMEND_FOR):
        return None
    config = result.prepared.config
    spec = default_spec(config)
    if spec is None:
        return None
    params = {k: v for k, v in config.params.items() if k != spec.param}
    return run_sweep(_for_values(config, params), spec, policy=result.prepared.policy, judge=judge)


def early_stopping_after(result: RunResult, *, errors: dict[str, str] | None = None) -> TrainingCurve | None:
    """``check --recommend``'s early-stopping point: the training curve of a run blocked for ``overfit``
    whose model is iterative (the run's own curve with ``--training-curve``, else computed now: boosting fold
    models replayed with no fit, MLP/SGD trained again epoch by epoch, one fit per fold the run fitted).

    The curve is computed as the evidence step computes it (:func:`~gapgates.measurements.training_curve.guarded_training_curve`):
    a model whose ``partial_fit`` raises gives no curve, and its error goes to ``errors["training_curve"]``.

    Args:
        result: The judged run.
        errors: Where a failed curve's message goes (``{"training_curve": message}``).

    Returns:
        The curve when it names an iteration to stop at before the last; None otherwise (a passing run,
        another diagnosis, a model that cannot replay its iterations, a curve that failed, a validation score
        still best at the end).

    Raises:
        ConfigError: If training an MLP/SGD again epoch by epoch would exceed the fit ceiling.
    """
    from gapgates.compute.training_curve import replays_epochs
    from gapgates.measurements.training_curve import guarded_training_curve

    gap_result = result.evidence.gap
    if not _blocked_for(result, frozenset({"overfit"})) or gap_result is None:
        return None
    curve = result.evidence.training_curve
    if curve is None and "training_curve" not in result.evidence.errors:
        prep = result.prepared
        if replays_epochs(prep.estimator) and gap_result.n_folds > prep.config.max_fits:
            raise ConfigError(
                f"Training {prep.config.model_name} again epoch by epoch for its training curve would fit it "
                f"{gap_result.n_folds:,} times (once per fold), more than the limit of {prep.config.max_fits:,}. "
                f"Raise the limit with --max-fits {gap_result.n_folds}."
            )
        curve = guarded_training_curve(prep, gap_result, errors if errors is not None else {})
    return None if curve is None or curve.param_line is None else curve


@dataclass(frozen=True, eq=False)
class StoppingSetting:
    """An early-stopping setting a training curve names, measured and judged on the run's folds like a sweep value.

    Attributes:
        params: The parameters it sets: ``{"max_iter": 140}``, or ``{"early_stopping": True, "n_iter_no_change": 10}``.
        run: The judged run of the model with them (its gap, checks and decision).
    """

    params: dict[str, Any]
    run: RunResult

    @property
    def param_line(self) -> str:
        """The ready options: ``--param early_stopping=true --param n_iter_no_change=10``."""
        return " ".join(f"--param {name}={format_value(value)}" for name, value in self.params.items())

    @property
    def passed(self) -> bool:
        """Whether the policy promotes the model with this setting."""
        return self.run.decision.outcome is Outcome.PROMOTE


def stopping_settings(config: CheckConfig, curve: TrainingCurve) -> list[dict[str, Any]]:
    """The early-stopping settings a training curve names: its iteration cap (``max_iter=140``), and, for a model
    with ``early_stopping`` (HistGradientBoosting, MLP, SGD) not already on, ``early_stopping=True`` with the
    model's own patience (``n_iter_no_change``: 10 for HistGradientBoosting and MLP, 5 for SGD).

    Raises:
        ConfigError: If the model cannot be built.
    """
    estimator, prefix = _last_step(config)
    settings: list[dict[str, Any]] = []
    if curve.param is not None and curve.stop is not None:
        settings.append({prefix + curve.param: curve.stop})
    params = estimator.get_params(deep=False)
    if "early_stopping" in params and params["early_stopping"] is not True and params.get("n_iter_no_change"):
        settings.append({prefix + "early_stopping": True, prefix + "n_iter_no_change": int(params["n_iter_no_change"])})
    return settings


def recheck_stopping(
    result: RunResult, settings: Sequence[dict[str, Any]], *, judge: JudgeValues | None = None
) -> tuple[StoppingSetting, ...]:
    """Judge each early-stopping setting on the run's folds under its policy, as a sweep value is judged.

    Raises:
        ConfigError: If the settings would fit the model more times than the fit ceiling allows.
        DataError: If the model cannot be fit with a setting.
    """
    prep = result.prepared
    config = prep.config
    fits = sweep_fits(config, len(settings))
    if fits > config.max_fits:
        raise ConfigError(
            f"Re-checking {len(settings)} early-stopping settings would fit the model {fits:,} times, more than the "
            f"limit of {config.max_fits:,}. Raise the limit with --max-fits {fits}."
        )
    base = replace(prep, config=_for_values(config, dict(config.params)))
    share = config.max_fits // max(1, len(settings))
    preps = [with_params(base, dict(setting), max_fits=share) for setting in settings]
    runs = (judge or judge_values)(preps, make_folds(prep))
    return tuple(StoppingSetting(params=dict(setting), run=run) for setting, run in zip(settings, runs))


@dataclass(frozen=True, eq=False)
class Recommendation:
    """What ``check --recommend`` found after a block, judged before the run is published.

    Attributes:
        sweep: The default capacity sweep (None: the model has none, or it could not run: see ``notes``).
        curve: The training curve naming an early-stopping point (a model blocked for overfit that can replay
            its iterations; None otherwise).
        stopping: The early-stopping settings the curve names, each re-checked against the policy.
        notes: Why a part is missing, one line each: ``{"sweep": ..., "early_stopping": ...}``.
        errors: Measurements that failed: ``{"training_curve": message}`` (added to the report's ``errors``).
    """

    sweep: SweepResult | None = None
    curve: TrainingCurve | None = None
    stopping: tuple[StoppingSetting, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def stopping_pick(self) -> StoppingSetting | None:
        """The passing early-stopping setting with the best primary test score (the iteration cap on a tie)."""
        best: StoppingSetting | None = None
        for setting in self.stopping:
            score = _test_mean(setting)
            if setting.passed and score == score and (best is None or round(score, 12) > round(_test_mean(best), 12)):
                best = setting
        return best


def _test_mean(setting: StoppingSetting) -> float:
    gap = setting.run.evidence.gap
    return float("nan") if gap is None else gap.primary.test_mean


def recommend_fixes(result: RunResult, *, judge: JudgeValues | None = None) -> Recommendation | None:
    """The gate's ``recommend`` step (``check --recommend``): after a block for ``overfit`` or ``underfit``, a
    verified capacity value (:func:`recommend_after`) and, for an iterative model blocked for overfit, the training
    curve's early-stopping settings re-checked against the policy (:func:`recheck_stopping`).

    Runs after ``decide`` and before the run is published, so the recommendation is in the reports, the history
    row and the webhook. What cannot run (over the fit ceiling, a value the model refuses, a curve whose
    ``partial_fit`` raises) is a note or an error, never the run's failure: the decision stands.

    Args:
        result: The judged run.
        judge: How to judge the sweep's values and the settings (default :func:`judge_values`).

    Returns:
        The recommendation; None when ``config.recommend`` is off or the run was not blocked for overfit or underfit.
    """
    from gapgates.compute.training_curve import replays_epochs

    config = result.prepared.config
    if not config.recommend or not _blocked_for(result, RECOMMEND_FOR):
        return None
    # One fit ceiling for the whole command: each phase gets what the run and the phases before it left.
    gap_result = result.evidence.gap
    strong = result.evidence.strong_baseline  # its fits count against the same ceiling
    left = config.max_fits - (0 if gap_result is None else gap_result.n_folds) - (0 if strong is None else strong.fits)
    notes: dict[str, str] = {}
    errors: dict[str, str] = {}
    curve = None
    stopping: tuple[StoppingSetting, ...] = ()
    try:
        replays = result.evidence.training_curve is None and gap_result is not None and replays_epochs(result.prepared.estimator)
        curve = early_stopping_after(_within(result, left), errors=errors)
        left -= gap_result.n_folds if replays and curve is not None and gap_result is not None else 0
        if curve is not None:
            settings = stopping_settings(config, curve)
            stopping = recheck_stopping(_within(result, left), settings, judge=judge)
            left -= sweep_fits(config, len(settings))
    except GapGatesError as err:
        notes["early_stopping"] = f"the early-stopping settings could not be re-checked: {_left_of(err, config)}"
    if "training_curve" in errors:
        notes["early_stopping"] = f"no early-stopping point: {errors['training_curve']}"
    try:
        sweep = recommend_after(_within(result, left), judge=judge)
    except GapGatesError as err:
        sweep, notes["sweep"] = None, f"the capacity sweep could not run: {_left_of(err, config)}"
    return Recommendation(sweep=sweep, curve=curve, stopping=stopping, notes=notes, errors=errors)


def _within(result: RunResult, left: int) -> RunResult:
    """``result`` whose config's fit ceiling is what is ``left`` of it (not validated again: it may be spent)."""
    config = result.prepared.config.model_copy(update={"max_fits": max(0, left)})
    return replace(result, prepared=replace(result.prepared, config=config))


def _left_of(err: GapGatesError, config: CheckConfig) -> str:
    return f"{err} (the limit is what the run and the earlier phases left of --max-fits {config.max_fits:,})"


#: The judging steps after the split, in their declared order: what each value runs.
VALUE_STEPS = tuple(step for step in JUDGE_STEPS if step.name not in {"load-data", "data-quality-gate", "split"})
