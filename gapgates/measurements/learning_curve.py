"""The learning curve (``evidence`` step, with ``--learning-curve``: five more fits per fold): train and test score
against the training rows, and whether more data would narrow the gap. Evidence only: no rule reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapgates.format import fmt
from gapgates.measurements.base import Context, Measurement, Section

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence

__all__ = ["LEARNING_CURVE", "learning_curve_series"]


def _compute(ctx: Context) -> Any:
    from gapgates.compute.learning_curve import learning_curve
    from gapgates.data.guard import guarded

    prep = ctx.prep
    if not prep.config.learning_curve or ctx.splits is None:
        return None
    model = guarded(prep.estimator, name=prep.config.model_name, label="the learning curve")
    return learning_curve(
        model, prep.train.X, prep.train.y, splits=ctx.splits, metric=prep.metrics[0], n_jobs=prep.config.workers
    )


def learning_curve_series(section: Any) -> tuple[list[float], list[float], list[float]] | None:
    """``(rows, train, test)`` of the ``learning_curve`` section's ``points``; None if absent or unreadable."""
    points = section.get("points") if isinstance(section, dict) else None
    if not isinstance(points, list) or not points:
        return None
    try:
        series = [[float(p[k]) for p in points] for k in ("rows", "train", "test")]
    except (KeyError, TypeError, ValueError):
        return None
    return series[0], series[1], series[2]


def _summary(report: dict[str, Any]) -> list[str]:
    curve = report.get("learning_curve")
    return [f"- Learning curve: {curve['verdict']}"] if isinstance(curve, dict) and curve.get("verdict") else []


def _markdown(report: dict[str, Any]) -> list[str]:
    series = learning_curve_series(report.get("learning_curve"))
    if series is None:
        return []
    lines = ["## Learning curve", "", "| rows | train | test | gap |", "|---:|---:|---:|---:|"]
    lines += [f"| {s:g} | {fmt(a)} | {fmt(b)} | {fmt(a - b)} |" for s, a, b in zip(*series, strict=True)]
    return [*lines, ""]


def _charts(report: dict[str, Any]) -> dict[str, str]:
    from gapgates.report.charts import learning_curve_chart

    series = learning_curve_series(report.get("learning_curve"))
    if series is None:
        return {}
    metric = (report.get("learning_curve") or {}).get("metric") or report.get("primary_metric") or "score"
    return {"learning_curve": learning_curve_chart(*series, metric=metric)}


def _json(ev: Evidence) -> dict[str, Any]:
    return {"learning_curve": None if ev.learning_curve is None else ev.learning_curve.to_dict()}


LEARNING_CURVE = Measurement(
    name="learning_curve",
    step="evidence",
    compute=_compute,
    section=Section(
        keys=("learning_curve",),
        required=("learning_curve",),
        json=_json,
        schema="learning_curve.json",
        summary=_summary,
        markdown=_markdown,
        html="learning_curve.html.j2",
        charts=_charts,
    ),
)
