"""The training curve (``evidence`` step, with ``--training-curve``): train and validation score at every iteration of
an iterative model's fold models (boosting replayed with no fit; MLP/SGD trained again epoch by epoch), and the
early-stopping point (one-standard-error rule). Evidence only: no rule reads it; its stopping point leads an
``overfit`` diagnosis's advice.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from gapgates.measurements.base import Context, Measurement, Section

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.compute.crossval import GapResult
    from gapgates.judge.evidence import Evidence
    from gapgates.pipeline.inputs import Prepared

__all__ = ["TRAINING_CURVE", "early_stopping_advice", "guarded_training_curve", "training_curve_series"]


def _curve(ctx: Context) -> Any:
    from gapgates.compute.training_curve import training_curve

    if ctx.gap is None:
        return None
    return training_curve(ctx.gap.cv, ctx.prep.train.X, ctx.prep.train.y, metric=ctx.prep.metrics[0])


def _compute(ctx: Context) -> Any:
    return _curve(ctx) if ctx.prep.config.training_curve else None


def guarded_training_curve(prep: Prepared, gap_result: GapResult, errors: dict[str, str]) -> Any:
    """The training curve of the gap pass's fold models, computed as the evidence step computes it: a failure (a
    model whose ``partial_fit`` raises, or exits) goes to ``errors["training_curve"]`` and gives None."""
    from gapgates.errors import UserCodeError, first_line

    try:
        return _curve(Context(prep=prep, gap=gap_result))
    except UserCodeError:
        raise
    except (Exception, SystemExit) as err:  # informative only: no rule reads it; a model's exit cannot end the run
        errors["training_curve"] = TRAINING_CURVE.failed(first_line(err))
        return None


def early_stopping_advice(section: dict[str, Any]) -> str:
    """The mitigation naming a ``training_curve`` section's early-stopping point."""
    return (
        f"Stop early: {section['param_line']} (from the training curve: the smallest iteration whose mean "
        f"validation {section['metric']} is within one standard error of its best, at iteration "
        f"{section['best_iteration']} of {section['fitted_iterations']})."
    )


def _lead(label: str, ev: Evidence) -> tuple[str, ...]:
    """The training curve's early-stopping point, first among an overfit model's mitigations (none without one)."""
    curve = ev.training_curve
    if label != "overfit" or curve is None or curve.param_line is None:
        return ()
    return (early_stopping_advice(curve.to_dict()),)


def training_curve_series(section: Any) -> tuple[list[float], list[float], list[float], list[float]] | None:
    """``(iterations, train, test, test_se)`` of the ``training_curve`` section's ``points``; None if absent,
    skipped or unreadable (a missing number is NaN: a gap in the line)."""
    points = section.get("points") if isinstance(section, dict) else None
    if not isinstance(points, list) or not points:
        return None
    try:
        series = [[math.nan if p[k] is None else float(p[k]) for p in points] for k in ("iteration", "train", "test", "test_se")]
    except (KeyError, TypeError, ValueError):
        return None
    return series[0], series[1], series[2], series[3]


def _summary(report: dict[str, Any]) -> list[str]:
    curve = report.get("training_curve")
    return [f"- Training curve: {curve['verdict']}"] if isinstance(curve, dict) and curve.get("verdict") else []


def _charts(report: dict[str, Any]) -> dict[str, str]:
    from gapgates.report.charts import training_curve_chart

    training = training_curve_series(report.get("training_curve"))
    if training is None:
        return {}
    section = report["training_curve"]
    return {
        "training_curve": training_curve_chart(
            *training,
            metric=section.get("metric") or "score",
            best=section.get("best_iteration"),
            stop=section.get("stopping_iteration"),
        )
    }


def _json(ev: Evidence) -> dict[str, Any]:
    return {} if ev.training_curve is None else {"training_curve": ev.training_curve.to_dict()}


TRAINING_CURVE = Measurement(
    name="training_curve",
    step="evidence",
    compute=_compute,
    failure="the training curve could not be computed",
    lead=_lead,
    section=Section(
        keys=("training_curve",),
        json=_json,
        schema="training_curve.json",
        summary=_summary,
        html="training_curve.html.j2",
        charts=_charts,
    ),
)
