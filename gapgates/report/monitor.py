"""The reports of a monitor run: ``report.json`` (``kind: "monitor"``, schema ``monitor.schema.json``),
``report.md`` and ``report.html``, all rendered from the JSON form only.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from gapgates.report.files import write_rendered

__all__ = ["monitor_lines", "render_monitor_html", "render_monitor_markdown", "write_monitor"]


def _f(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _metric_line(metric: str, g: dict[str, Any]) -> str:
    interval = "Wilson" if g["interval"] == "wilson" else "bootstrap"
    return (
        f"{metric}: at promotion {_f(g['promoted_test'])}, fresh {_f(g['fresh'])} "
        f"[{_f(g['fresh_ci_low'])}, {_f(g['fresh_ci_high'])}] ({interval}); production gap {_f(g['gap_mean'])} "
        f"[{_f(g['gap_ci_low'])}, {_f(g['gap_ci_high'])}]"
    )


def _drift_line(report: dict[str, Any]) -> str:
    drift = report["drift"]
    named = ", ".join(drift["drifted"]) or "none"
    return (
        f"drift: AUC {_f(drift['auc'], 3)} (fresh {drift['fresh_rows']} rows vs training sample "
        f"{drift['reference_rows']} rows); drifted columns: {named}"
    )


def _estimate_line(metric: str, g: dict[str, Any]) -> str:
    source = "at promotion" if g["reference"] == "promotion" else "out of fold"
    return (
        f"{metric}: {source} {_f(g['promoted_test'])}, ESTIMATED {_f(g['estimated'])} "
        f"[{_f(g['estimated_ci_low'])}, {_f(g['estimated_ci_high'])}]; estimated production gap {_f(g['gap_mean'])} "
        f"[{_f(g['gap_ci_low'])}, {_f(g['gap_ci_high'])}]"
    )


def _estimate_intro(estimate: dict[str, Any]) -> str:
    n = len(estimate.get("features") or [])
    read = (
        f", each row's chance of a right answer from a correctness model on its {n} feature{'s' if n != 1 else ''} and "
        "the model's confidence"
        if n
        else ""
    )
    how = (
        "confidence-based performance estimation (CBPE): the model's probabilities on the fresh rows, calibrated "
        f"on the version's out-of-fold predictions{read}"
        if estimate["method"] == "cbpe"
        else "direct loss estimation (DLE): a loss model fitted on the version's out-of-fold absolute errors"
    )
    ece = "" if estimate["ece"] is None else f"; ECE of the out-of-fold probabilities {_f(estimate['ece'], 3)}"
    return (
        f"No labels: the scores are ESTIMATED by {how} ({estimate['reference_rows']} out-of-fold rows{ece}; "
        f"{estimate['confidence']:.0%} Monte Carlo intervals of the realised score, {estimate['draws']} draws)."
    )


def _check_line(check: dict[str, Any]) -> str:
    parts = [
        f"{m}: estimated gap {_f(c['estimated_gap'])}, actual {_f(c['actual_gap'])} (error {c['error']:+.4f})"
        for m, c in check["metrics"].items()
    ]
    return f"labels for a batch estimated earlier (run {check['run_id']}, {check['created']}): " + "; ".join(parts)


def monitor_lines(report: dict[str, Any]) -> list[str]:
    """The printed form of a monitor run: the verdict, one line per metric, drift, then the reasons."""
    reg = report["registry"]
    estimate = report.get("estimate")
    lines = [
        f"MONITOR  {report['model']['name']} {reg['version']} on {report['data']['rows']} fresh rows"
        f"{' WITHOUT LABELS' if estimate else ''}: {report['decision'].upper()}"
    ]
    lines += [f"  {_metric_line(m, g)}" for m, g in report["gap"].items()]
    if estimate:
        lines.append(f"  {_estimate_intro(estimate)}")
        lines += [f"  {_estimate_line(m, g)}" for m, g in estimate["scores"].items()]
    lines.append(f"  {_drift_line(report)}")
    if report.get("estimate_check"):
        lines.append(f"  {_check_line(report['estimate_check'])}")
    lines += [f"  - {reason}" for reason in report["reasons"]]
    if estimate:
        lines += [f"  note: {n}" for n in estimate["notes"]]
    return lines


def _estimate_markdown(report: dict[str, Any]) -> list[str]:
    estimate, check = report.get("estimate"), report.get("estimate_check")
    lines: list[str] = []
    if estimate:
        lines += [
            "",
            "## Estimated production gap (no labels)",
            "",
            _estimate_intro(estimate),
            "",
            "| metric | reference | reference score | estimated | interval | estimated gap | gap interval |",
            "|---|---|---:|---:|---|---:|---|",
        ]
        lines += [
            f"| {m} | {g['reference']} | {_f(g['promoted_test'])} | {_f(g['estimated'])} | [{_f(g['estimated_ci_low'])}, "
            f"{_f(g['estimated_ci_high'])}] | {_f(g['gap_mean'])} | [{_f(g['gap_ci_low'])}, {_f(g['gap_ci_high'])}] |"
            for m, g in estimate["scores"].items()
        ]
        lines += ["", *[f"> {n}" for n in estimate["notes"]]]
    if check:
        lines += ["", "## Estimate vs actual", "", _check_line(check) + "."]
    return lines


def render_monitor_markdown(report: dict[str, Any]) -> str:
    """``report.md`` of a monitor run."""
    reg, drift = report["registry"], report["drift"]
    lines = [
        f"# gapgates monitor: {report['decision'].upper()}",
        "",
        f"Model **{report['model']['name']}**, production version **{reg['version']}** (promoted "
        f"{reg['promoted_at'] or 'at an unknown time'}), on {report['data']['rows']} fresh rows of "
        f"`{report['data']['path']}` ({report['created']}).",
        "",
        "## Reasons",
        "",
        *([f"- {r}" for r in report["reasons"]] or ["- Every check passed."]),
        "",
        "## Production gap",
        "",
        "Test score recorded at promotion − score on the fresh rows (positive: worse in production).",
        "",
        "| metric | at promotion | fresh | fresh interval | production gap | gap interval |",
        "|---|---:|---:|---|---:|---|",
    ]
    for metric, g in report["gap"].items():
        lines.append(
            f"| {metric} | {_f(g['promoted_test'])} | {_f(g['fresh'])} | [{_f(g['fresh_ci_low'])}, "
            f"{_f(g['fresh_ci_high'])}] ({g['interval']}) | {_f(g['gap_mean'])} | [{_f(g['gap_ci_low'])}, "
            f"{_f(g['gap_ci_high'])}] |"
        )
    lines += _estimate_markdown(report)
    lines += [
        "",
        "## Drift from the training sample",
        "",
        f"Adversarial AUC **{_f(drift['auc'], 3)}**; drifted columns (per-column tests at family-wise level "
        f"{drift['alpha']:g}): **{', '.join(drift['drifted']) or 'none'}**.",
        "",
        "| column | test | statistic | p-value | PSI | drifted |",
        "|---|---|---:|---:|---:|---|",
    ]
    lines += [
        f"| {c['column']} | {c['test']} | {_f(c['statistic'])} | {_p(c['p_value'])} | {_f(c['psi'])} | "
        f"{'yes' if c['drifted'] else 'no'} |"
        for c in drift["columns"]
    ]
    lines += ["", "## Checks", "", "| check | status | value | limit |", "|---|---|---:|---:|"]
    lines += [f"| {c['name']} | {c['status']} | {_f(c['value'])} | {_f(c['limit'])} |" for c in report["checks"]]
    return "\n".join([*lines, ""])


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def render_monitor_html(report: dict[str, Any]) -> str:
    """``report.html`` of a monitor run: self-contained, no script, readable on a phone."""
    e = html.escape
    reg, drift = report["registry"], report["drift"]
    css_class = {"ok": "ok", "warn": "warn", "retrain": "bad"}[report["decision"]]
    gaps = "".join(
        f"<tr><td>{e(m)}</td><td>{_f(g['promoted_test'])}</td><td>{_f(g['fresh'])}</td>"
        f"<td>[{_f(g['fresh_ci_low'])}, {_f(g['fresh_ci_high'])}] {e(g['interval'])}</td><td>{_f(g['gap_mean'])}</td>"
        f"<td>[{_f(g['gap_ci_low'])}, {_f(g['gap_ci_high'])}]</td></tr>"
        for m, g in report["gap"].items()
    )
    columns = "".join(
        f"<tr><td>{e(c['column'])}</td><td>{e(c['test'])}</td><td>{_f(c['statistic'])}</td><td>{_p(c['p_value'])}</td>"
        f"<td>{_f(c['psi'])}</td><td>{'yes' if c['drifted'] else 'no'}</td></tr>"
        for c in drift["columns"]
    )
    reasons = "".join(f"<li>{e(r)}</li>" for r in report["reasons"]) or "<li>Every check passed.</li>"
    estimated = _estimate_html(report)
    title = e(f"gapgates monitor: {report['model']['name']} {reg['version']}: {report['decision'].upper()}")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}}"
        "table{border-collapse:collapse;display:block;overflow-x:auto}td,th{padding:.25rem .6rem;"
        "border-bottom:1px solid #ddd;text-align:left}.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}"
        "</style></head><body>"
        f'<h1 class="{css_class}">{title}</h1>'
        f"<p>{report['data']['rows']} fresh rows of <code>{e(report['data']['path'])}</code>; production since "
        f"{e(str(reg['promoted_at'] or 'an unknown time'))}; monitored {e(report['created'])}.</p>"
        f"<h2>Reasons</h2><ul>{reasons}</ul>"
        "<h2>Production gap</h2><p>Test score recorded at promotion − score on the fresh rows.</p>"
        "<table><thead><tr><th>metric</th><th>at promotion</th><th>fresh</th><th>fresh interval</th>"
        f"<th>production gap</th><th>gap interval</th></tr></thead><tbody>{gaps}</tbody></table>{estimated}"
        f"<h2>Drift from the training sample</h2><p>Adversarial AUC <strong>{_f(drift['auc'], 3)}</strong>; "
        f"drifted columns: <strong>{e(', '.join(drift['drifted']) or 'none')}</strong>.</p>"
        "<table><thead><tr><th>column</th><th>test</th><th>statistic</th><th>p-value</th><th>PSI</th><th>drifted</th>"
        f"</tr></thead><tbody>{columns}</tbody></table>"
        "</body></html>\n"
    )


def _estimate_html(report: dict[str, Any]) -> str:
    e = html.escape
    estimate, check = report.get("estimate"), report.get("estimate_check")
    out = ""
    if estimate:
        rows = "".join(
            f"<tr><td>{e(m)}</td><td>{e(g['reference'])}</td><td>{_f(g['promoted_test'])}</td><td>{_f(g['estimated'])}</td>"
            f"<td>[{_f(g['estimated_ci_low'])}, {_f(g['estimated_ci_high'])}]</td><td>{_f(g['gap_mean'])}</td>"
            f"<td>[{_f(g['gap_ci_low'])}, {_f(g['gap_ci_high'])}]</td></tr>"
            for m, g in estimate["scores"].items()
        )
        notes = "".join(f'<p class="warn">{e(n)}</p>' for n in estimate["notes"])
        out += (
            f"<h2>Estimated production gap (no labels)</h2><p>{e(_estimate_intro(estimate))}</p>"
            "<table><thead><tr><th>metric</th><th>reference</th><th>reference score</th><th>estimated</th>"
            f"<th>interval</th><th>estimated gap</th><th>gap interval</th></tr></thead><tbody>{rows}</tbody></table>{notes}"
        )
    if check:
        out += f"<h2>Estimate vs actual</h2><p>{e(_check_line(check))}.</p>"
    return out


def write_monitor(report: dict[str, Any], out: str | Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and ``report.html`` of a monitor run into ``out``, after checking the schema.

    Returns:
        ``{"json": path, "markdown": path, "html": path}``.

    Raises:
        ConfigError: If the report does not match ``monitor.schema.json`` (a bug: nothing is written).
    """
    from gapgates.report.schema import validate_monitor

    validate_monitor(report)
    return write_rendered(out, "report", report, markdown=render_monitor_markdown(report), html=render_monitor_html(report))
