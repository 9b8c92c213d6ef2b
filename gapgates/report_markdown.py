"""Markdown for the optional report sections (diagnosis, noise, quality, shift, champion, history).

Each section is rendered only when present in ``report.json``; shapes are read
defensively so an older or newer report still renders.
"""

from __future__ import annotations

from typing import Any

from gapgates.report_html import failed_expectations, fmt, learning_curve_series

__all__ = ["optional_sections"]


def _diagnosis(d: dict[str, Any]) -> list[str]:
    lines = [f"## Diagnosis: {d.get('label', '–')}", ""]
    if d.get("explanation"):
        lines += [str(d["explanation"]), ""]
    lines += [f"- {m}" for m in d.get("mitigations") or []]
    return [*lines, ""] if d.get("mitigations") else lines


def _noise(n: dict[str, Any]) -> list[str]:
    rate = n.get("rate")
    head = f"{rate:.1%} of rows look mislabelled" if isinstance(rate, (int, float)) else "Label noise"
    lines = ["## Label noise", "", f"{head} ({n.get('n_issues', '–')} rows).", ""]
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


def _scalars(title: str, section: dict[str, Any]) -> list[str]:
    parts = [f"{k} {fmt(v)}" for k, v in section.items() if v is None or isinstance(v, (str, int, float, bool))]
    return [f"## {title}", "", ", ".join(parts) + ".", ""] if parts else []


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
    for key, render in (("diagnosis", _diagnosis), ("noise", _noise), ("quality", _quality)):
        if isinstance(report.get(key), dict):
            lines += render(report[key])
    if isinstance(report.get("shift"), dict) and report["shift"].get("auc") is not None:
        lines += ["## Shift", "", f"Train-vs-holdout classifier AUC {fmt(report['shift']['auc'])} (0.5: no shift).", ""]
    for key, title in (("leakage", "Leakage"), ("champion", "Champion vs challenger"), ("registry", "Registry")):
        if isinstance(report.get(key), dict):
            lines += _scalars(title, report[key])
    series = learning_curve_series(report.get("learning_curve"))
    if series is not None:
        sizes, _, test = series
        lines += ["## Learning curve", "", "| rows | test |", "|---:|---:|"]
        lines += [f"| {fmt(s)} | {fmt(t)} |" for s, t in zip(sizes, test, strict=True)] + [""]
    if isinstance(report.get("history"), dict):
        lines += _history(report["history"])
    return lines
