"""Weak segments (``evidence`` step, no fit): the slices of the training rows where the out-of-fold score is worst.

Rules ``segments:min_test_score`` (the upper bound of the worst segment's interval, ``[segments]
min_test_score``) and ``segments:max_gap`` (the largest segment gap); both off by default: a segment is picked
after looking at the errors, so a floor on the worst one is a deliberate, per-model choice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapgates.format import score
from gapgates.judge.checks import Check, Measured, RuleSpec
from gapgates.measurements.base import Context, Measurement, Section, Table, named

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["SEGMENTS", "segment_rows"]


def _compute(ctx: Context) -> Any:
    from gapgates.compute.segments import weak_segments

    prep = ctx.prep
    if ctx.gap is None:
        return None
    return weak_segments(
        ctx.gap.cv,
        prep.train.X,
        prep.train.y,
        classification=prep.classification,
        min_rows=prep.policy.segments.min_rows,
        confidence=prep.policy.gap.confidence,
        seed=prep.config.seed,
    )


def _worst_segment(seg: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    worst = seg.worst
    if worst is None:
        return f"No segment has {seg.min_rows} rows or more, so none was judged."
    return [
        Measured(
            "segments:min_test_score",
            worst.high,
            f"Upper bound of the {seg.confidence:.0%} interval of {seg.metric} in the weakest segment "
            f"({worst.description}, {worst.rows} rows; estimate {worst.test:.4g})",
        )
    ]


def _segment_gap(seg: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    largest = seg.largest_gap
    if largest is None:
        return "No segment has a train score, so no segment gap was judged."
    return [
        Measured(
            "segments:max_gap",
            largest.gap,
            f"Largest {seg.metric} gap (train − test) of a segment ({largest.description}, {largest.rows} rows)",
        )
    ]


def _advice(check: Check, ev: Evidence) -> str | None:
    if not named(check, "segments") or check.value is None:
        return None
    return (
        f"Look at the weak segment ({check.message}): audit its labels, add rows or features that describe "
        "it, or give it its own model; report.json segments lists it with its rows."
    )


def _markdown(report: dict[str, Any]) -> list[str]:
    seg = report.get("segments")
    if not isinstance(seg, dict):
        return []
    lines = [
        "## Weak segments",
        "",
        f"Out-of-fold {seg.get('metric')} per slice of at least {seg.get('min_rows')} rows, worst first "
        f"(by the upper bound of its {seg.get('interval')} interval); all rows: {score(seg.get('overall'))}. "
        f"{seg.get('judged')} slices judged.",
        "",
        "| segment | rows | test | interval | train | gap |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for s in (seg.get("segments") or [])[:10]:
        lines.append(
            f"| {s.get('description')} | {s.get('rows')} | {score(s.get('test'))} | "
            f"[{score(s.get('low'))}, {score(s.get('high'))}] | {score(s.get('train'))} | {score(s.get('gap'))} |"
        )
    return [*lines, ""]


def _charts(report: dict[str, Any]) -> dict[str, str]:
    from gapgates.report.charts import segments_chart

    seg = report.get("segments")
    if not isinstance(seg, dict) or not seg.get("segments"):
        return {}
    floor = ((report.get("policy") or {}).get("segments") or {}).get("min_test_score")
    return {
        "segments": segments_chart(
            seg["segments"],
            overall=seg.get("overall"),
            metric=seg.get("metric") or "",
            floor=floor.get("limit") if isinstance(floor, dict) else None,
        )
    }


def segment_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The weakest segments of a report, worst first: segment, rows, test, interval bounds, train, gap."""
    section = report.get("segments") or {}
    keys = ("description", "rows", "test", "low", "high", "train", "gap")
    return [{("segment" if k == "description" else k): s.get(k) for k in keys} for s in section.get("segments") or []]


def _tables(report: dict[str, Any]) -> list[Table]:
    rows = segment_rows(report)
    if not rows:
        return []
    metric = (report.get("segments") or {}).get("metric")
    return [Table("segments", f"Weakest segments of {{name}} (out-of-fold {metric})", rows)]


_MISSING = "It was not computed."

SEGMENTS = Measurement(
    name="segments",
    step="evidence",
    compute=_compute,
    rules=(
        RuleSpec(
            "segments:min_test_score", "segments", "segments.min_test_score", _worst_segment, at_most=False, missing=_MISSING
        ),
        RuleSpec("segments:max_gap", "segments", "segments.max_gap", _segment_gap, missing=_MISSING),
    ),
    advice=_advice,
    section=Section(
        keys=("segments",),
        json=lambda ev: {} if ev.segments is None else {"segments": ev.segments.to_dict()},
        schema="segments.json",
        markdown=_markdown,
        html="segments.html.j2",
        charts=_charts,
        tables=_tables,
    ),
)
