"""The steps after the gap: label noise, shift, leakage and the optional learning curve.

:func:`diagnose` is one step of a run (see :mod:`gapgates.pipeline.run`); it computes the
evidence that explains a gap and records failures as ``{step: message}`` (their checks
fail), never raises. :func:`diagnostic_sections` turns that evidence into report sections.
Not to be confused with :mod:`gapgates.judge.diagnosis`, the rules that read the judged checks
and name the cause (overfit, noise, shift, ...): this module computes, that one concludes.
"""

from __future__ import annotations

from typing import Any

from gapgates.compute.crossval import GapResult
from gapgates.data.splits import Splits
from gapgates.errors import first_line
from gapgates.judge.checks import Decision
from gapgates.judge.evidence import Evidence
from gapgates.pipeline.inputs import Prepared

__all__ = ["diagnose", "diagnostic_sections"]


def diagnose(prep: Prepared, splits: Splits, gap_result: GapResult) -> dict[str, Any]:
    """Steps after the gap: label noise (no fit), shift (one cheap fit), leakage (no fit), and the
    optional learning curve. Returns Evidence fields, ``errors`` for failed steps (their checks fail)
    and ``extra`` report sections."""
    errors: dict[str, str] = {}
    noise, shift, leakage = _diagnostics(prep, gap_result, errors)
    return {"noise": noise, "shift": shift, "leakage": leakage, "errors": errors,
            "extra": {"learning_curve": _learning_curve(prep, splits)}}


def _diagnostics(prep: Prepared, gap_result: Any, errors: dict[str, str]) -> tuple[Any, Any, Any]:
    """Label noise (no fit), shift (one cheap fit, with a holdout) and leakage (no fit); failures are recorded."""
    from dataclasses import replace

    from gapgates.compute.leakage import find_leakage
    from gapgates.compute.noise import label_noise
    from gapgates.compute.noise_adjusted import noise_adjusted_gap
    from gapgates.compute.shift import adversarial_validation

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
    from gapgates.compute.learning_curve import learning_curve

    try:
        curve = learning_curve(prep.estimator, prep.train.X, prep.train.y, splits=splits, metric=prep.metrics[0],
                               n_jobs=prep.config.n_jobs)
    except Exception as err:
        return {"error": first_line(err)}
    return curve.to_dict()


def diagnostic_sections(evidence: Evidence, decision: Decision) -> dict[str, Any]:
    """The report sections ``noise``, ``noise_adjusted``, ``shift``, ``leakage``, ``diagnosis``."""
    from gapgates.judge.diagnosis import diagnose as diagnose_cause

    noise = evidence.noise
    return {
        "noise": None if noise is None else noise.to_dict(),
        "noise_adjusted": None if noise is None or noise.adjusted is None else noise.adjusted.to_dict(),
        "shift": None if evidence.shift is None else evidence.shift.to_dict(),
        "leakage": None if evidence.leakage is None else evidence.leakage.to_dict(),
        "diagnosis": diagnose_cause(evidence, decision).to_dict(),
    }
