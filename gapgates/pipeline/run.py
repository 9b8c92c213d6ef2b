"""One gate run from a :class:`~gapgates.config.CheckConfig`: load → split → compute → judge.

This is what ``gapgates check`` and the Prefect flow call. The steps live where they
belong and are re-exported here, so an orchestrator imports them from one place:
loading and validating the inputs in :mod:`gapgates.pipeline.inputs`, the label noise, shift,
leakage and learning curve after the gap in :mod:`gapgates.pipeline.steps`, the baseline,
holdout, champion and trend in :mod:`gapgates.pipeline.references`. This module keeps the
folds, the gap, the decision and :func:`run_check` that chains them. It computes and
judges; writing reports and promoting are separate steps (see :mod:`gapgates.report.build`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gapgates.compute.crossval import GapResult
from gapgates.config import CheckConfig
from gapgates.data.splits import Splits
from gapgates.errors import DataError, GapGatesError, first_line
from gapgates.judge.checks import Check, Decision, Outcome, Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy, policy_hash
from gapgates.judge.rules import evaluate
from gapgates.pipeline.inputs import Inputs, Prepared, load_inputs, prepare, quality_evidence, validate_inputs
from gapgates.pipeline.references import References, history_trend, reference_scores
from gapgates.pipeline.steps import diagnose, diagnostic_sections

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


def make_folds(prep: Prepared) -> Splits:
    """The cross-validation folds of a run (materialised once, shared by every step)."""
    from gapgates.data.splits import make_splits

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
    from gapgates.compute.crossval import gap

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
    trend = history_trend(prep, gap_result, errors)
    evidence = Evidence(gap=gap_result, baseline=refs.baseline, holdout=refs.holdout, champion=refs.champion,
                        trend=trend, errors=errors, **fields)
    decision = evaluate(prep.policy, evidence)
    created = _now()
    return RunResult(
        name=prep.config.model_name, decision=decision, evidence=evidence, prepared=prep, model=refs.model,
        created=created, extra={**diagnostic_sections(evidence, decision), **extra},
    )


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
    from gapgates.quality.gate import quality_checks

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
