"""The reports of a capacity sweep: ``sweep.json`` (schema ``schema/sweep.schema.json``), ``sweep.md`` and
``sweep.html`` (the capacity chart: train, test, the gap band and the policy limit).

As for a run's report, the Markdown is rendered from the JSON form only.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapgates import __version__
from gapgates.format import score
from gapgates.report.files import write_rendered

if TYPE_CHECKING:  # the pipeline pulls in pandas/sklearn
    from gapgates.pipeline.sweep import Recommendation, StoppingSetting, SweepPoint, SweepResult

__all__ = [
    "REGIMES_NOTE",
    "SWEEP_SCHEMA_VERSION",
    "early_stopping_section",
    "recommendation_line",
    "recommendation_section",
    "render_sweep_html",
    "render_sweep_markdown",
    "stopping_lines",
    "sweep_document",
    "sweep_rows",
    "sweep_table",
    "with_early_stopping",
    "with_recommendation",
    "with_recommendations",
    "write_sweep",
]

SWEEP_SCHEMA_VERSION = "1.0"

#: How the regimes are read, under every sweep table.
REGIMES_NOTE = (
    "Regimes: classical before the interpolation threshold (the first value whose train score is at its "
    "maximum); critical from the threshold to the test score's local minimum beside it; modern past it, "
    "where train stays at its maximum and the test score improves again by more than the fold noise."
)


def _failed(point: SweepPoint) -> list[str]:
    return [c.name for c in point.run.decision.checks if c.status.value in {"fail", "warn"}]


def _value_entry(point: SweepPoint) -> dict[str, Any]:
    gap = point.gap
    return {
        "value": point.value,
        "regime": None if point.regime is None else point.regime.value,
        "decision": point.run.decision.outcome.value,
        "passed": point.passed,
        "failed": _failed(point),
        "n_folds": gap.n_folds,
        "gap": gap.to_dict(),
    }


def sweep_document(result: SweepResult) -> dict[str, Any]:
    """The ``sweep.json`` content of a sweep (plain JSON types only).

    Args:
        result: The judged sweep.

    Returns:
        A mapping that validates against ``sweep.schema.json``.
    """
    from gapgates.judge.policy import policy_hash

    prep, config = result.prepared, result.prepared.config
    best = result.recommended
    recommendation = None
    if best is not None:
        primary = best.gap.to_dict()[result.metric]
        recommendation = {
            "value": best.value,
            "param_line": result.param_line,
            "test_mean": primary["test_mean"],
            "gap_mean": primary["gap_mean"],
            "gap_ci_high": primary["gap_ci_high"],
        }
    refused = None
    if result.refused is not None:
        refused = "; ".join(result.refused.decision.reasons) or "the data failed the data-quality gate"
    return {
        "schema_version": SWEEP_SCHEMA_VERSION,
        "gapgates_version": __version__,
        "created": result.created,
        "model": {
            "name": config.model_name,
            "spec": config.model,
            "params": dict(config.params),
            "task": "classification" if prep.classification else "regression",
        },
        "param": result.param,
        "capacity": "increasing" if result.increasing else "decreasing",
        "primary_metric": result.metric,
        "cv": {
            "folds": config.folds,
            "repeats": config.repeats,
            "seed": config.seed,
            "confidence": prep.policy.gap.confidence,
            "fits": sum(p.gap.n_folds for p in result.points),
        },
        "data": {"fingerprint": prep.fingerprint, "train_rows": int(prep.train.rows)},
        "policy_hash": policy_hash(prep.policy),
        "gap_limit": None if prep.policy.gap.max_gap is None else prep.policy.gap.max_gap.limit,
        "gate_on": prep.policy.gap.gate_on,
        "values": [_value_entry(p) for p in result.points],
        "recommendation": recommendation,
        "refused": refused,
    }


def sweep_rows(document: dict[str, Any]) -> list[tuple[str, ...]]:
    """The table of a sweep, one row per value: value, train, test, gap, interval, regime, decision."""
    from gapgates.compute.sweep import format_value

    metric = document["primary_metric"]
    rows: list[tuple[str, ...]] = []
    for entry in document["values"]:
        g = entry["gap"][metric]
        rows.append(
            (
                format_value(entry["value"]),
                score(g["train_mean"]),
                score(g["test_mean"]),
                score(g["gap_mean"]),
                f"[{score(g['gap_ci_low'])}, {score(g['gap_ci_high'])}]",
                entry["regime"] or "–",
                entry["decision"] + ("" if entry["passed"] else f" ({', '.join(entry['failed'])})"),
            )
        )
    return rows


def recommendation_line(document: dict[str, Any]) -> str:
    """One line: the recommended ``--param`` and its scores, or why there is none."""
    best = document["recommendation"]
    if document["refused"] is not None:
        return f"No value was fit: {document['refused']}"
    if best is None:
        return f"No value of {document['param']} passes the policy."
    return (
        f"Recommended: {best['param_line']} ({document['primary_metric']} test {score(best['test_mean'])}, "
        f"gap {score(best['gap_mean'])}, interval high {score(best['gap_ci_high'])}; passes the policy)"
    )


def sweep_table(document: dict[str, Any]) -> list[str]:
    """The printed form of a sweep: a heading line, the table (aligned columns) and the recommendation line last."""
    param, metric, cv = document["param"], document["primary_metric"], document["cv"]
    lines = [
        f"SWEEP  {document['model']['name']} over {param}: {len(document['values'])} values on the same "
        f"{cv['folds']} folds × {cv['repeats']} repeats ({cv['fits']} fits), primary metric {metric}"
    ]
    rows = sweep_rows(document)
    if rows:
        header = (param, "train", "test", "gap", f"{cv['confidence']:.0%} interval", "regime", "decision")
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
        for row in [header, *rows]:
            cells = [str(c).rjust(w) if 0 < i < 4 else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
            lines.append("  " + "  ".join(cells) + "  " + row[-1])
    return [*lines, recommendation_line(document)]


def render_sweep_markdown(document: dict[str, Any]) -> str:
    """``sweep.md`` from a ``sweep.json`` mapping."""
    param, metric = document["param"], document["primary_metric"]
    cv = document["cv"]
    lines = [
        f"# Capacity sweep: {document['model']['name']} over `{param}`",
        "",
        f"{len(document['values'])} values, each on the same {cv['folds']} folds × {cv['repeats']} repeats (seed "
        f"{cv['seed']}, {cv['fits']} fits), judged by the whole policy (`{document['policy_hash'][:12]}`). "
        f"Larger values of `{param}` make the model {'more' if document['capacity'] == 'increasing' else 'less'} "
        "flexible; rows go from the least to the most flexible model.",
        "",
        f"**{recommendation_line(document)}**",
        "",
        f"| {param} | train {metric} | test {metric} | gap | {cv['confidence']:.0%} interval | regime | decision |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    lines += [
        "| " + " | ".join(f"`{row[0]}`" if i == 0 else cell for i, cell in enumerate(row)) + " |" for row in sweep_rows(document)
    ]
    lines += [
        "",
        REGIMES_NOTE,
        "",
    ]
    return "\n".join(lines)


def write_sweep(document: dict[str, Any], out: str | Path) -> dict[str, Path]:
    """Write ``sweep.json``, ``sweep.md`` and ``sweep.html`` into ``out`` (created if needed), after checking the schema.

    Returns:
        ``{"json": path, "markdown": path, "html": path}``.

    Raises:
        ConfigError: If the document does not match the schema (a bug: nothing is written).
    """
    from gapgates.report.schema import validate_sweep

    validate_sweep(document)
    return write_rendered(out, "sweep", document, markdown=render_sweep_markdown(document), html=render_sweep_html(document))


def render_sweep_html(document: dict[str, Any]) -> str:
    """``sweep.html``: the capacity chart (train, test, gap band, policy limit) and the table, self-contained."""
    from gapgates.compute.sweep import format_value
    from gapgates.report.charts import capacity_chart

    metric, param = document["primary_metric"], document["param"]
    entries = document["values"]
    best = document["recommendation"]
    position = next(
        (
            i
            for i, e in enumerate(entries)
            if best is not None and e["passed"] and e["value"] == best["value"] and type(e["value"]) is type(best["value"])
        ),
        None,
    )
    chart = (
        capacity_chart(
            [format_value(e["value"]) for e in entries],
            [e["gap"][metric] for e in entries],
            param=param,
            metric=metric,
            limit=document["gap_limit"],
            recommended=position,
        )
        if entries
        else ""
    )
    header = (
        param,
        f"train {metric}",
        f"test {metric}",
        "gap",
        f"{document['cv']['confidence']:.0%} interval",
        "regime",
        "decision",
    )
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in sweep_rows(document))
    title = html.escape(f"Capacity sweep: {document['model']['name']} over {param}")
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:left}"
        "</style></head><body>"
        f"<h1>{title}</h1><p><strong>{html.escape(recommendation_line(document))}</strong></p>"
        f"<figure>{chart}</figure>"
        "<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + f"</tr></thead><tbody>{rows}"
        "</tbody></table>"
        f"<p>{html.escape(REGIMES_NOTE)}</p>"
        "</body></html>\n"
    )


def recommendation_section(document: dict[str, Any]) -> dict[str, Any]:
    """The ``report.json`` ``recommendation`` section of a ``check --recommend`` sweep (its ``sweep.json`` mapping)."""
    best = document["recommendation"] or {}
    return {
        "param": document["param"],
        "value": best.get("value"),
        "param_line": best.get("param_line"),
        "test_mean": best.get("test_mean"),
        "gap_mean": best.get("gap_mean"),
        "gap_ci_high": best.get("gap_ci_high"),
        "tried": [e["value"] for e in document["values"]],
        "passing": [e["value"] for e in document["values"] if e["passed"]],
    }


def with_recommendation(report: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """A run's report with the sweep's recommendation: the ``recommendation`` section, and first among the
    diagnosis's mitigations.

    Args:
        report: The run's ``report.json`` mapping (not changed).
        document: The ``sweep.json`` mapping of the sweep run after it.

    Returns:
        A new report mapping.
    """
    from gapgates.compute.sweep import format_value

    section = recommendation_section(document)
    if section["param_line"] is not None:
        advice = (
            f"Verified by a capacity sweep of {section['param']}: {section['param_line']} passes the policy "
            f"({document['primary_metric']} test {score(section['test_mean'])}, gap {score(section['gap_mean'])})."
        )
    else:
        tried = ", ".join(format_value(v) for v in section["tried"])
        advice = f"A capacity sweep of {section['param']} ({tried}) found no value that passes the policy."
    updated = {**report, "recommendation": section}
    if report.get("diagnosis"):
        diagnosis = report["diagnosis"]
        updated["diagnosis"] = {**diagnosis, "mitigations": [advice, *diagnosis.get("mitigations", [])]}
    return updated


def _judged(run: Any, metric: str) -> dict[str, Any]:
    """A judged run's decision and primary scores, as a sweep value's row shows them."""
    primary = run.evidence.gap.to_dict()[metric] if run.evidence.gap is not None else {}
    return {
        "decision": run.decision.outcome.value,
        "passed": run.decision.outcome.value == "promote",
        "failed": [c.name for c in run.decision.checks if c.status.value in {"fail", "warn"}],
        "test_mean": primary.get("test_mean"),
        "gap_mean": primary.get("gap_mean"),
        "gap_ci_high": primary.get("gap_ci_high"),
    }


def _setting_entry(setting: StoppingSetting, metric: str) -> dict[str, Any]:
    return {"params": dict(setting.params), "param_line": setting.param_line, **_judged(setting.run, metric)}


def early_stopping_section(recommendation: Recommendation, metric: str) -> dict[str, Any] | None:
    """The ``report.json`` ``early_stopping`` section: the training curve's early-stopping settings, each re-checked
    against the policy on the run's folds, the passing one to use, or why there is none (None: nothing to say)."""
    note = recommendation.notes.get("early_stopping")
    if not recommendation.stopping and note is None:
        return None
    pick = recommendation.stopping_pick
    curve = recommendation.curve
    return {
        "metric": metric,
        "stopping_iteration": None if curve is None else curve.stop,
        "settings": [_setting_entry(s, metric) for s in recommendation.stopping],
        "recommended": None if pick is None else pick.param_line,
        "note": note,
    }


def _verdict(entry: dict[str, Any]) -> str:
    if entry["passed"]:
        return f"{entry['param_line']} passes the policy (test {score(entry['test_mean'])}, gap {score(entry['gap_mean'])})"
    return (
        f"{entry['param_line']} does not pass ({entry['decision'].replace('_', ' ')}: "
        f"{', '.join(entry['failed']) or 'no check failed'})"
    )


def stopping_lines(section: dict[str, Any]) -> list[str]:
    """The early-stopping settings re-checked, one line each, and the one to use (or why none)."""
    if section.get("note"):
        return [f"Early stopping: {section['note']}"]
    lines = [f"Early stopping, re-checked on the run's folds: {_verdict(e)}." for e in section["settings"]]
    if section["recommended"] is not None:
        return [*lines, f"  {section['recommended']}"]
    return [*lines, "No early-stopping setting passes the policy."]


def with_early_stopping(report: dict[str, Any], section: dict[str, Any], checked: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run's report with a training curve's early-stopping point: the ``training_curve`` section, and the
    advice among the diagnosis's mitigations (once: a run with ``--training-curve`` has it already), saying how
    the settings fared when re-checked against the policy.

    Args:
        report: The run's ``report.json`` mapping (not changed).
        section: The ``training_curve`` section (see :class:`gapgates.compute.training_curve.TrainingCurve`).
        checked: The ``early_stopping`` section (:func:`early_stopping_section`): the settings re-checked.

    Returns:
        A new report mapping.
    """
    from gapgates.measurements.training_curve import early_stopping_advice

    updated = {**report, "training_curve": section}
    diagnosis = report.get("diagnosis")
    if not diagnosis:
        return updated
    advice = early_stopping_advice(section)
    mitigations = [m for m in diagnosis.get("mitigations", []) if m != advice]
    if checked is not None and checked["settings"]:
        advice += " Re-checked on the run's folds: " + "; ".join(_verdict(e) for e in checked["settings"]) + "."
    updated["diagnosis"] = {**diagnosis, "mitigations": [advice, *mitigations]}
    return updated


def with_recommendations(
    report: dict[str, Any], recommendation: Recommendation | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A run's report with what the ``recommend`` step found: the sweep's verified value (``recommendation``),
    the early-stopping settings re-checked (``training_curve``, ``early_stopping``), first among the diagnosis's
    mitigations, and a training curve that failed in ``errors``.

    Args:
        report: The run's ``report.json`` mapping (not changed).
        recommendation: The ``recommend`` step's result (None: the report as it is).

    Returns:
        The new report mapping, and the ``sweep.json`` mapping of the sweep (None: no sweep ran).
    """
    if recommendation is None:
        return report, None
    metric = report["primary_metric"]
    checked = early_stopping_section(recommendation, metric)
    if recommendation.curve is not None:
        report = with_early_stopping(report, recommendation.curve.to_dict(), checked)
    if checked is not None:
        report = {**report, "early_stopping": checked}
    if recommendation.errors:
        report = {**report, "errors": {**report.get("errors", {}), **recommendation.errors}}
    document = None if recommendation.sweep is None else sweep_document(recommendation.sweep)
    if document is not None:
        report = with_recommendation(report, document)
    return report, document
