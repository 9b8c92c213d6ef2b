"""Shift between the training rows and the holdout (``evidence`` step, with a holdout).

Adversarial validation (a classifier telling the two apart: its AUC) and a drift test per column (KS for
numbers, chi-square for categories, family-wise α with Bonferroni). Rules ``shift`` (``[shift] max_auc``) and
``shift:columns`` (``max_drifted_columns``); diagnoses ``shift``: a holdout from another population.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gapgates.format import fmt
from gapgates.judge.checks import Measured, RuleSpec
from gapgates.measurements.base import Context, Diagnoser, Measurement, Section, Table, breached

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.checks import Decision
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["SHIFT", "drift_rows"]


def _compute(ctx: Context) -> Any:
    from gapgates.compute.drift import column_drift, ranked
    from gapgates.compute.shift import adversarial_validation

    prep = ctx.prep
    if prep.holdout is None:
        return None
    shift = adversarial_validation(prep.train.X, prep.holdout.X, seed=prep.config.seed)
    alpha = prep.policy.shift.drift_alpha
    columns = column_drift(prep.train.X, prep.holdout.X[list(prep.train.X.columns)], alpha=alpha)
    return replace(shift, columns=ranked(columns), drift_alpha=alpha)


def _shift(shift: Any, ev: Evidence, policy: Policy) -> list[Measured]:
    return [Measured("shift", shift.auc, "AUC of a classifier telling holdout rows from training rows")]


def _drifted_columns(shift: Any, ev: Evidence, policy: Policy) -> list[Measured] | str:
    if shift.drift_alpha is None:
        return "The per-column drift tests were not computed."
    names = ", ".join(f"'{c}'" for c in shift.drifted[:3]) or "none"
    return [
        Measured(
            "shift:columns",
            float(len(shift.drifted)),
            f"Columns whose drift test (KS / chi-square, family-wise α = {shift.drift_alpha:g}) finds drift "
            f"between training rows and the holdout (most drifted: {names})",
        )
    ]


_NO_HOLDOUT = "There is no holdout, so train/holdout shift was not measured. Give --holdout or --holdout-fraction."


def _holds(ev: Evidence, decision: Decision) -> str | None:
    if not breached(decision, "shift") or ev.shift is None:
        return None
    cols = ", ".join(f"'{f}' (AUC {a:.2f})" for f, a in ev.shift.top_features[:3])
    text = (
        f"A classifier tells holdout rows from training rows with AUC {ev.shift.auc:.3f}; the columns that differ most: {cols}."
    )
    if ev.holdout is not None and ev.gap is not None:
        metric = ev.gap.primary.metric
        held = ev.holdout.gap.get(metric, float("nan"))
        text += (
            f" The holdout {metric} gap ({held:.3f}) against the cross-validated "
            f"gap ({ev.gap.primary.gap_mean:.3f}) reflects a different population, not memorisation."
        )
    return text


def _drifted(ev: Evidence) -> str:
    """The drifted columns with their test, or the most separating columns without per-column tests."""
    sh = ev.shift
    if sh is None:
        return "the columns in report.json shift"
    drifted = [c for c in sh.columns if c.drifted][:3]
    if drifted:
        return ", ".join(f"'{c.column}' ({c.test} p = {c.p_value:.2g}, PSI {c.psi:.2f})" for c in drifted)
    return ", ".join(f"'{f}' (AUC alone {a:.2f})" for f, a in sh.top_features[:3]) or "none singled out"


def _advice(ev: Evidence, decision: Decision) -> tuple[str, ...]:
    if ev.shift is None:
        return ()
    columns = _drifted(ev)
    return (
        f"The columns that moved most between training rows and the holdout: {columns}. Check them for pipeline "
        "changes (units, encodings, new categories) before anything else.",
        f"If the shift in {columns.split(' (')[0]} is real, reweight training rows by the adversarial odds or "
        "retrain on recent data that covers the new range.",
    )


SHIFT_LABEL = Diagnoser(
    label="shift",
    order=20,
    holds=_holds,
    covers=("shift", "holdout_gap"),  # a holdout from another population explains its gap
    advice=(
        "Re-split so training and holdout come from one population (shuffle, stratify, or split by time on purpose).",
        "If the shift is real, adapt: reweight training rows by the adversarial odds, or retrain on recent data.",
        "Inspect the top separating columns for pipeline changes (units, encodings, new categories).",
    ),
    specific=_advice,
    replaces={"The columns that moved": "Inspect", "If the shift in": "If the shift is real"},
)


def _summary(report: dict[str, Any]) -> list[str]:
    shift = report.get("shift") or {}
    if shift.get("auc") is None:
        return []
    top = ", ".join(
        f"{t.get('feature')} ({fmt(t.get('auc'))})" for t in (shift.get("top_features") or [])[:3] if isinstance(t, dict)
    )
    lines = [
        f"- Shift: adversarial AUC {fmt(shift['auc'])} (train vs holdout; 0.5: no shift)"
        + (f"; most separating: {top}" if top else "")
    ]
    if "drifted" in shift:
        drifted = ", ".join(str(c) for c in shift["drifted"][:5]) or "none"
        lines.append(f"- Drifted columns (KS / chi-square, α = {shift.get('drift_alpha')}): {drifted}")
    return lines


def _markdown(report: dict[str, Any]) -> list[str]:
    """The per-column drift table of the ``shift`` section, most drifted first (the first ten columns)."""
    shift = report.get("shift")
    if not isinstance(shift, dict):
        return []
    columns = [c for c in shift.get("columns") or [] if isinstance(c, dict)]
    if not columns:
        return []
    lines = [
        "## Drift per column (training rows vs holdout)",
        "",
        f"Family-wise α = {shift.get('drift_alpha')} (Bonferroni); most drifted first.",
        "",
        "| column | test | statistic | p-value | PSI | drifted |",
        "|---|---|---:|---:|---:|---|",
    ]
    for c in columns[:10]:
        lines.append(
            f"| {c.get('column')} | {c.get('test')} | {fmt(c.get('statistic'))} | {fmt(c.get('p_value'))} | "
            f"{fmt(c.get('psi'))} | {'yes' if c.get('drifted') else 'no'} |"
        )
    more = len(columns) - 10
    return [*lines, *(["", f"…and {more} more columns in report.json."] if more > 0 else []), ""]


def drift_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-column drift tests of the ``shift`` section (training rows vs holdout), most drifted first."""
    return [dict(c) for c in (report.get("shift") or {}).get("columns") or []]


def _tables(report: dict[str, Any]) -> list[Table]:
    rows = drift_rows(report)
    return [Table("drift", "Drift per column of {name}, training rows vs holdout", rows)] if rows else []


SHIFT = Measurement(
    name="shift",
    step="evidence",
    compute=_compute,
    failure="adversarial validation failed",
    rules=(
        RuleSpec("shift", "shift", "shift.max_auc", _shift, missing=_NO_HOLDOUT),
        RuleSpec("shift:columns", "shift", "shift.max_drifted_columns", _drifted_columns, missing=_NO_HOLDOUT),
    ),
    diagnoses=(SHIFT_LABEL,),
    section=Section(
        keys=("shift",),
        required=("shift",),
        json=lambda ev: {"shift": None if ev.shift is None else ev.shift.to_dict()},
        schema="shift.json",
        summary=_summary,
        markdown=_markdown,
        html="shift.html.j2",
        tables=_tables,
    ),
)
