"""The gap across this model's recorded runs (``comparison`` step, with a run history).

Rule ``trend`` (``[trend] max_gap_increase``, off by default): the widening of the primary gap fitted across the
last ``window`` runs and this one. Its section is the ``history`` key of ``report.json`` and the gap-history chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapgates.format import fmt
from gapgates.judge.checks import Check, Measured, RuleSpec
from gapgates.measurements.base import Context, Incomplete, Measurement, Section

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["TREND"]


def _compute(ctx: Context) -> Any:
    """The gap trend from the run history (None without a history); a broken history fails the trend rule."""
    from gapgates.compute.trend import load_trend
    from gapgates.errors import GapGatesError

    prep = ctx.prep
    path = prep.config.history_path
    if path is None or ctx.gap is None:
        return None
    try:
        return load_trend(
            path,
            model=prep.config.model_name,
            metric=prep.metrics[0],
            current=ctx.gap.primary.gap_mean,
            window=prep.policy.trend.window,
        )
    except GapGatesError as err:
        raise Incomplete(str(err), None) from err


def _trend(trend: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if trend.increase is None:
        return f"Only {len(trend.past)} earlier run(s) of this model are recorded; the gap trend needs {trend.window}."
    return [Measured("trend", trend.increase, f"Widening of the {trend.metric} gap across the last {len(trend.series)} runs")]


def _advice(check: Check, ev: Evidence) -> str | None:
    if check.name != "trend" or check.value is None:
        return None
    return (
        f"The gap widened by {check.value:.3f} across the last runs of this model: look at what changed "
        "in the data or the model since the earliest of them (gapgates history)."
    )


def _markdown(report: dict[str, Any]) -> list[str]:
    h = report.get("history")
    if not isinstance(h, dict):
        return []
    runs = len(h.get("runs") or [])
    if h.get("increase") is None:
        text = f"{runs} earlier run(s) recorded; the trend needs {h.get('window')}."
    else:
        span = int(h.get("window") or 0) + 1
        text = f"Across the last {span} runs the fitted {h.get('metric')} gap moved by {fmt(h['increase'])}."
    return ["## Gap history", "", text, ""]


def _charts(report: dict[str, Any]) -> dict[str, str]:
    from gapgates.measurements.gap import policy_limit
    from gapgates.report.charts import history_chart

    history, gap = report.get("history"), report.get("gap") or {}
    if not isinstance(history, dict) or history.get("metric") not in gap:
        return {}
    g = gap[history["metric"]]
    current = {"gap": g.get("gap_mean"), "gap_ci_low": g.get("gap_ci_low"), "gap_ci_high": g.get("gap_ci_high")}
    runs = history.get("runs") or []
    return {"history": history_chart(runs, current, metric=history["metric"], limit=policy_limit(report, "gap", "max_gap"))}


TREND = Measurement(
    name="trend",
    step="comparison",
    compute=_compute,
    rules=(
        RuleSpec(
            "trend",
            "trend",
            "trend.max_gap_increase",
            _trend,
            missing="No run history is configured (give --history or --out), so the gap trend was not judged.",
        ),
    ),
    advice=_advice,
    section=Section(
        keys=("history",),
        required=("history",),
        json=lambda ev: {"history": None if ev.trend is None else ev.trend.to_dict()},
        schema="history.json",
        markdown=_markdown,
        html="history.html.j2",
        charts=_charts,
    ),
)
