"""One gate run from a :class:`~gapgates.config.CheckConfig`: load → split → compute → judge.

This is what ``gapgates check`` and the Prefect flow call (loading and validating the
inputs lives in :mod:`gapgates.inputs`, re-exported here). It computes and
judges; writing reports and promoting are separate steps (see
:mod:`gapgates.report`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gapgates.checks import Check, Decision, Outcome, Status
from gapgates.config import CheckConfig
from gapgates.crossval import GapResult
from gapgates.decision import evaluate
from gapgates.errors import DataError, GapGatesError, first_line
from gapgates.evidence import Evidence
from gapgates.inputs import Inputs, Prepared, load_inputs, prepare, quality_evidence, validate_inputs
from gapgates.policy import Policy, policy_hash
from gapgates.splits import Splits

__all__ = [
    "Inputs",
    "Prepared",
    "References",
    "RunResult",
    "blocked_by_quality",
    "compute_gap",
    "decide",
    "diagnose",
    "load_inputs",
    "make_folds",
    "prepare",
    "quality_evidence",
    "reference_scores",
    "run_check",
    "validate_inputs",
]


def _now() -> str:
    """UTC now, ISO 8601 to the second: the ``created`` time of a run."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True, eq=False)
class RunResult:
    """The outcome of one gate run.

    Attributes:
        name: Model name.
        decision: The verdict and its checks.
        evidence: Everything computed.
        prepared: The validated inputs.
        model: The final model fit on all training rows, or None when not fit.
        created: UTC time the run finished, ISO 8601.
        extra: Sections later steps add to the report (e.g. ``registry``).
    """

    name: str
    decision: Decision
    evidence: Evidence
    prepared: Prepared
    model: Any | None
    created: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def policy(self) -> Policy:
        """The policy the run was judged by."""
        return self.prepared.policy

    @property
    def policy_hash(self) -> str:
        """sha256 of the policy."""
        return policy_hash(self.prepared.policy)


def _trend(prep: Prepared, gap_result: Any, errors: dict[str, str]) -> Any:
    """The gap trend from the run history (None without a history); a broken history fails ``trend`` if judged."""
    from gapgates.trend import load_trend

    path = prep.config.history_path
    if path is None:
        return None
    try:
        return load_trend(path, model=prep.config.model_name, metric=prep.metrics[0],
                          current=gap_result.primary.gap_mean, window=prep.policy.trend.window)
    except GapGatesError as err:
        if prep.policy.trend.max_gap_increase is not None:
            errors["trend"] = str(err)
        return None


@dataclass(frozen=True, eq=False)
class References:
    """What the candidate is compared with besides its own folds.

    Attributes:
        baseline: The dummy baseline on the same folds, or None when it failed.
        holdout: Holdout scores of the final model, or None.
        model: The final model fit on every training row (when there is a holdout or a registry).
        champion: The production model scored on the same folds/holdout, or None without a registry.
        errors: ``{step: message}`` for the parts that failed (their checks fail).
    """

    baseline: Any
    holdout: Any
    model: Any
    champion: Any = None
    errors: dict[str, str] = field(default_factory=dict)


def make_folds(prep: Prepared) -> Splits:
    """The cross-validation folds of a run (materialised once, shared by every step)."""
    from gapgates.splits import make_splits

    config, train = prep.config, prep.train
    return make_splits(
        train.X, train.y, classification=prep.classification, n_splits=config.folds, n_repeats=config.repeats,
        seed=config.seed, groups=train.groups, time=train.time,
    )


def fitting_failed(prep: Prepared, err: BaseException) -> DataError:
    """The one-line error for a model that cannot be fit on the data."""
    return DataError(f"Fitting {prep.config.model_name} on the data failed: {first_line(err)}")


def compute_gap(
    prep: Prepared, splits: Splits, *, progress: Callable[[int, int], None] | None = None
) -> GapResult:
    """The cross-validated gap on the given folds (one ``cross_validate`` pass).

    Raises:
        DataError: If the model cannot be fit on the data.
    """
    from gapgates.crossval import gap

    train = prep.train
    try:
        return gap(
            prep.estimator, train.X, train.y, scoring=prep.metrics, splits=splits,
            confidence=prep.policy.gap.confidence, n_jobs=prep.config.n_jobs, progress=progress,
        )
    except GapGatesError:
        raise
    except (ValueError, TypeError) as err:
        raise fitting_failed(prep, err) from err


def diagnose(prep: Prepared, splits: Splits, gap_result: GapResult) -> dict[str, Any]:
    """Steps after the gap: label noise (no fit), shift (one cheap fit), leakage (no fit), and the
    optional learning curve. Returns Evidence fields, ``errors`` for failed steps (their checks fail)
    and ``extra`` report sections."""
    errors: dict[str, str] = {}
    noise, shift, leakage = _diagnostics(prep, gap_result, errors)
    return {"noise": noise, "shift": shift, "leakage": leakage, "errors": errors,
            "extra": {"learning_curve": _learning_curve(prep, splits)}}


def reference_scores(prep: Prepared, splits: Splits) -> References:
    """Dummy baseline on the same folds, the final model (with a holdout or a registry) scored on the
    holdout, and the registry's production model (the champion) scored on the same folds and holdout.

    Failures are recorded in ``errors`` (their checks fail), never raised.
    """
    from gapgates.baseline import baseline
    from gapgates.holdout import fit_final, score_holdout

    train = prep.train
    errors: dict[str, str] = {}
    try:
        base = baseline(train.X, train.y, splits=splits, scoring=prep.metrics, classification=prep.classification)
    except Exception as err:  # recorded; its checks fail
        base, errors["performance"] = None, f"the dummy baseline could not be scored: {first_line(err)}"
    model = held = None
    if prep.holdout is not None or prep.config.registry is not None:
        try:
            model = fit_final(prep.estimator, train.X, train.y)
            if prep.holdout is not None:
                held = score_holdout(model, train.X, train.y, prep.holdout.X, prep.holdout.y, scoring=prep.metrics)
        except Exception as err:
            errors["gap"] = f"the final model could not be fit or scored: {first_line(err)}"
    champion = _champion(prep, splits, errors)
    return References(baseline=base, holdout=held, model=model, champion=champion, errors=errors)


def decide(
    prep: Prepared, gap_result: GapResult, refs: References, *steps: dict[str, Any]
) -> RunResult:
    """Assemble the evidence and judge it against the policy.

    Args:
        prep: The validated inputs.
        gap_result: The cross-validated gap.
        refs: Baseline and holdout.
        steps: Evidence fields from other steps (``quality_evidence``, ``diagnose``); an
            ``errors`` entry in them is merged into ``Evidence.errors``, an ``extra`` entry
            into the report sections (``RunResult.extra``).

    Returns:
        The run result with the decision.
    """
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    errors = dict(refs.errors)
    for step in steps:
        step = dict(step)
        errors.update(step.pop("errors", {}) or {})
        extra.update(step.pop("extra", {}) or {})
        fields.update(step)
    trend = _trend(prep, gap_result, errors)
    evidence = Evidence(gap=gap_result, baseline=refs.baseline, holdout=refs.holdout, champion=refs.champion,
                        trend=trend, errors=errors, **fields)
    decision = evaluate(prep.policy, evidence)
    created = _now()
    return RunResult(
        name=prep.config.model_name, decision=decision, evidence=evidence, prepared=prep, model=refs.model,
        created=created, extra={**_diagnostic_sections(evidence, decision), **extra},
    )


def _champion(prep: Prepared, splits: Any, errors: dict[str, str]) -> Any:
    """The production model of ``config.registry`` scored on the same folds and holdout (None without a registry)."""
    from gapgates.champion import no_champion, score_champion
    from gapgates.registry import open_registry

    registry, metric = prep.config.registry, prep.metrics[0]
    if registry is None:
        return None
    try:
        reg = open_registry(registry, model_name=prep.config.model_name)
        version = reg.production
        if version is None:
            return no_champion(metric, f"No production model in {registry} yet: this is the first candidate.")
        recorded = ((reg.info(version).metadata.get("gap") or {}).get(metric) or {}).get("gap_mean")
        hold = None if prep.holdout is None else (prep.holdout.X, prep.holdout.y)
        return score_champion(reg.load(version), prep.train.X, prep.train.y, splits=splits, metric=metric,
                              version=version, recorded_gap=recorded, holdout=hold)
    except Exception as err:  # a champion that cannot be loaded or scored blocks
        errors["champion"] = f"production in {registry} could not be scored: {first_line(err)}"
        return None


def run_check(
    config: CheckConfig, *, policy: Policy | None = None, progress: Callable[[int, int], None] | None = None
) -> RunResult:
    """Run the gate: cross-validated gap, baseline, holdout, then the policy decision.

    The steps (:func:`load_inputs`, :func:`validate_inputs` — together :func:`prepare` —,
    :func:`quality_evidence`, :func:`make_folds`, :func:`compute_gap`, :func:`diagnose`,
    :func:`reference_scores`, :func:`decide`) are public so an orchestrator (the Prefect flow
    in ``flows/``) can run each as its own task.

    Args:
        config: The options.
        policy: A policy to use instead of loading ``config.policy``.
        progress: Called with ``(folds_done, folds_total)``.

    Returns:
        The decision with its evidence and the final model (fit when there is a holdout or a registry).

    Raises:
        ConfigError: On usage errors.
        DataError: On bad data, including data the model cannot be fit on.
    """
    prep = prepare(config, policy=policy)
    if prep.blocked:
        return blocked_by_quality(prep)
    quality = quality_evidence(prep)
    splits = make_folds(prep)
    gap_result = compute_gap(prep, splits, progress=progress)
    diagnosis = diagnose(prep, splits, gap_result)
    refs = reference_scores(prep, splits)
    return decide(prep, gap_result, refs, quality, diagnosis)


def blocked_by_quality(prep: Prepared) -> RunResult:
    """The run of data that failed its critical expectations: block, with the failures as checks."""
    from gapgates.quality_gate import quality_checks

    if prep.quality_error is not None:
        checks = [Check("quality", Status.FAIL, None, None, f"The quality step failed: {prep.quality_error}")]
        evidence = Evidence(errors={"quality": prep.quality_error})
    else:
        checks = quality_checks(prep.quality, required=True)
        evidence = Evidence(quality=prep.quality)
    created = _now()
    return RunResult(
        name=prep.config.model_name, decision=Decision.from_checks(checks, on_fail=Outcome.BLOCK), evidence=evidence,
        prepared=prep, model=None, created=created,
    )


def _diagnostics(prep: Prepared, gap_result: Any, errors: dict[str, str]) -> tuple[Any, Any, Any]:
    """Label noise (no fit), shift (one cheap fit, with a holdout) and leakage (no fit); failures are recorded."""
    from dataclasses import replace

    from gapgates.leakage import find_leakage
    from gapgates.noise import label_noise
    from gapgates.noise_gap import noise_adjusted_gap
    from gapgates.shift import adversarial_validation

    train, holdout, seed = prep.train, prep.holdout, prep.config.seed
    noise = shift = leakage = None
    try:
        noise = label_noise(gap_result.cv, train.y, filter_by=prep.policy.noise.filter_by)
        if noise.skipped is None:
            adjusted = noise_adjusted_gap(gap_result, train.X, train.y, noise.positions, scoring=prep.metrics)
            noise = replace(noise, adjusted=adjusted)
    except Exception as err:  # recorded; the label_noise check fails
        errors["noise"] = f"label noise could not be computed: {first_line(err)}"
    if holdout is not None:
        try:
            shift = adversarial_validation(train.X, holdout.X, seed=seed)
        except Exception as err:
            errors["shift"] = f"adversarial validation failed: {first_line(err)}"
    try:
        leakage = find_leakage(train.X, train.y, None if holdout is None else holdout.X,
                               classification=prep.classification, seed=seed)
    except Exception as err:
        errors["leakage"] = f"the leakage check failed: {first_line(err)}"
    return noise, shift, leakage


def _learning_curve(prep: Prepared, splits: Any) -> dict[str, Any] | None:
    """The optional learning curve (informative only: never changes the decision)."""
    if not prep.config.learning_curve:
        return None
    from gapgates.learning import learning_curve

    try:
        curve = learning_curve(prep.estimator, prep.train.X, prep.train.y, splits=splits, metric=prep.metrics[0],
                               n_jobs=prep.config.n_jobs)
    except Exception as err:
        return {"error": first_line(err)}
    return curve.to_dict()


def _diagnostic_sections(evidence: Evidence, decision: Decision) -> dict[str, Any]:
    """The report sections ``noise``, ``noise_adjusted``, ``shift``, ``leakage``, ``diagnosis``."""
    from gapgates.diagnosis import diagnose

    noise = evidence.noise
    return {
        "noise": None if noise is None else noise.to_dict(),
        "noise_adjusted": None if noise is None or noise.adjusted is None else noise.adjusted.to_dict(),
        "shift": None if evidence.shift is None else evidence.shift.to_dict(),
        "leakage": None if evidence.leakage is None else evidence.leakage.to_dict(),
        "diagnosis": diagnose(evidence, decision).to_dict(),
    }
