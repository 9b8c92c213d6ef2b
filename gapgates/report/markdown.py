"""Markdown for the optional report sections (diagnosis, noise, quality, champion, registry, history).

Each section is rendered only when present in ``report.json``; shapes are read
defensively so an older or newer report still renders.
"""

from __future__ import annotations

from typing import Any

from gapgates.format import fmt
from gapgates.report.html import champion_rows, failed_expectations, learning_curve_series

__all__ = ["optional_sections"]


def _diagnosis_lines(report: dict[str, Any]) -> list[str]:
    """Diagnosis, then a line each for noise, noise-adjusted gap, shift, leakage, learning and training curve."""
    diag = report.get("diagnosis")
    if not isinstance(diag, dict):
        return []
    lines = [f"## Diagnosis: {diag.get('label', '–')}", ""]
    if diag.get("explanation"):
        lines += [str(diag["explanation"]), ""]
    lines += [f"- {m}" for m in diag.get("mitigations") or []] + [""]
    noise, adj, shift, leak = (report.get(k) or {} for k in ("noise", "noise_adjusted", "shift", "leakage"))
    if noise.get("skipped"):
        lines.append(f"- Label noise: skipped ({noise['skipped']})")
    elif noise.get("n_issues") is not None and noise.get("rows"):
        lines.append(
            f"- Label noise: {noise['n_issues']} of {noise['rows']} rows flagged ({fmt(noise.get('rate'))})"
            + _reference_text(noise.get("reference"))
        )
    metrics = adj.get("metrics") or {}
    if metrics:
        primary = report.get("primary_metric")
        g = metrics.get(primary) or next(iter(metrics.values()))
        lines.append(f"- Noise-adjusted gap ({primary}): {fmt(g.get('gap_mean'))}, test {fmt(g.get('test_mean'))}")
    if shift.get("auc") is not None:
        top = ", ".join(
            f"{t.get('feature')} ({fmt(t.get('auc'))})" for t in (shift.get("top_features") or [])[:3] if isinstance(t, dict)
        )
        lines.append(
            f"- Shift: adversarial AUC {fmt(shift['auc'])} (train vs holdout; 0.5: no shift)"
            + (f"; most separating: {top}" if top else "")
        )
        if "drifted" in shift:
            drifted = ", ".join(str(c) for c in shift["drifted"][:5]) or "none"
            lines.append(f"- Drifted columns (KS / chi-square, α = {shift.get('drift_alpha')}): {drifted}")
    reference = report.get("reference_drift")
    if isinstance(reference, dict) and reference.get("version") is not None:
        drifted = ", ".join(str(c) for c in (reference.get("drifted") or [])[:5]) or "none"
        lines.append(
            f"- Drifted since production {reference['version']}'s data ({reference.get('reference_rows')} "
            f"sampled rows at its promotion vs {reference.get('rows')} now): {drifted}"
        )
    if leak:
        tops = [t for t in leak.get("top_features") or [] if isinstance(t, dict)]
        copies = (
            "no holdout"
            if leak.get("duplicate_rate") is None
            else f"{leak.get('exact_duplicates', '–')} holdout rows copy a training row exactly; "
            f"duplicate rate {fmt(leak['duplicate_rate'])}"
        )
        top = f"; top column {tops[0].get('feature')} ({fmt(tops[0].get('score'))})" if tops else ""
        lines.append(f"- Leakage: {copies}{top}")
    curve = report.get("learning_curve")
    if isinstance(curve, dict) and curve.get("verdict"):
        lines.append(f"- Learning curve: {curve['verdict']}")
    training = report.get("training_curve")
    if isinstance(training, dict) and training.get("verdict"):
        lines.append(f"- Training curve: {training['verdict']}")
    return [*lines, ""]


def _reference_text(reference: Any) -> str:
    """``; reference 12.0% (production version 3)`` for a noise section's reference, or why there is none."""
    if not isinstance(reference, dict):
        return ""
    if reference.get("rate") is None:
        return f"; no reference rate: {reference.get('reason')}"
    where = (
        f"production version {reference.get('version')}"
        if reference.get("source") == "registry"
        else f"last promoted run, {reference.get('version')}"
    )
    return f"; reference {fmt(reference['rate'])} ({where})"


def _drift(shift: dict[str, Any]) -> list[str]:
    """The per-column drift table of the ``shift`` section, most drifted first (the first ten columns)."""
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


def _noise(n: dict[str, Any]) -> list[str]:
    rate = n.get("rate")
    head = f"{rate:.1%} of rows look mislabelled" if isinstance(rate, (int, float)) else "Label noise"
    lines = ["## Label noise", "", f"{head} ({n.get('n_issues', '–')} of {n.get('rows', '–')} rows).", ""]
    per_class = {k: c for k, c in (n.get("per_class") or {}).items() if isinstance(c, dict)}
    if per_class:
        lines += ["| class | rows | flagged | flagged share | estimated noise |", "|---|---:|---:|---:|---:|"]
        keys = ("rows", "issues", "rate", "estimated_noise")
        lines += [f"| {label} | " + " | ".join(fmt(c.get(k)) for k in keys) + " |" for label, c in per_class.items()]
        lines.append("")
    issues = [i for i in n.get("issues") or [] if isinstance(i, dict)][:5]
    if issues:
        lines += ["| row | given | suggested | quality |", "|---:|---|---|---:|"]
        keys = ("row", "given", "suggested", "quality")
        lines += ["| " + " | ".join(fmt(i.get(k)) for k in keys) + " |" for i in issues]
        lines.append("")
    return lines


def _quality(q: dict[str, Any]) -> list[str]:
    failed = failed_expectations(q)
    lines = ["## Data quality: " + ("passed" if q.get("success") else "FAILED"), ""]
    if not failed:
        return lines
    lines += ["| table | expectation | column | observed | examples |", "|---|---|---|---|---|"]
    for e in failed:
        examples = ", ".join(map(repr, (e.get("details") or {}).get("examples") or []))
        cells = [fmt(e.get("dataset")), fmt(e.get("expectation")), fmt(e.get("column")), fmt(e.get("observed")), examples]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _champion(report: dict[str, Any]) -> list[str]:
    champ = report["champion"]
    lines = ["## Champion vs challenger", ""]
    rows = champion_rows(report)
    if rows:
        lines += [f"| | challenger | champion {champ.get('version')} | challenger − champion |", "|---|---:|---:|---:|"]
        lines += [f"| {r['what']} | {fmt(r['challenger'])} | {fmt(r['champion'])} | {fmt(r['difference'])} |" for r in rows] + [
            ""
        ]
    if champ.get("reason"):
        lines += [str(champ["reason"]), ""]
    return lines


def _registry(r: dict[str, Any]) -> list[str]:
    promoted = "promoted to production" if r.get("promoted") else "not promoted"
    return ["## Registry", "", f"Registered as {r.get('version')}; {promoted}; production: {r.get('production') or 'none'}.", ""]


def _history(h: dict[str, Any]) -> list[str]:
    runs = len(h.get("runs") or [])
    if h.get("increase") is None:
        text = f"{runs} earlier run(s) recorded; the trend needs {h.get('window')}."
    else:
        span = int(h.get("window") or 0) + 1
        text = f"Across the last {span} runs the fitted {h.get('metric')} gap moved by {fmt(h['increase'])}."
    return ["## Gap history", "", text, ""]


def optional_sections(report: dict[str, Any]) -> list[str]:
    """Markdown lines for every optional section the report has, in report order."""
    lines: list[str] = []
    lines += _diagnosis_lines(report)  # diagnosis, then one line each for noise, shift, leakage, learning curve
    for key, render in (("noise", _noise), ("shift", _drift), ("quality", _quality)):
        if isinstance(report.get(key), dict) and not report[key].get("skipped"):
            lines += render(report[key])
    from gapgates.report.analysis import analysis_markdown

    lines += analysis_markdown(report)
    if isinstance(report.get("champion"), dict):
        lines += _champion(report)
    if isinstance(report.get("registry"), dict):
        lines += _registry(report["registry"])
    series = learning_curve_series(report.get("learning_curve"))
    if series is not None:
        lines += ["## Learning curve", "", "| rows | train | test | gap |", "|---:|---:|---:|---:|"]
        lines += [f"| {s:g} | {fmt(a)} | {fmt(b)} | {fmt(a - b)} |" for s, a, b in zip(*series, strict=True)] + [""]
    if isinstance(report.get("history"), dict):
        lines += _history(report["history"])
    return lines
