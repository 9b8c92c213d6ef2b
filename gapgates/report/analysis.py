"""The report's sections on weak segments, how the model errs, and training-data issues (issue 15: 2, 3, 5).

Rendered from the ``report.json`` keys ``segments``, ``classification``, ``regression`` and
``data_issues`` only (each optional), so ``gapgates report --from`` re-renders them. The charts use
:mod:`gapgates.report.charts` (matplotlib, inline SVG, Okabe–Ito colours).
"""

from __future__ import annotations

from typing import Any

from gapgates.format import score
from gapgates.report.charts import confusion_chart, curves_chart, reliability_chart, residual_chart, segments_chart

__all__ = ["analysis_charts", "analysis_markdown"]

MAX_CLASSES = 20


def analysis_charts(report: dict[str, Any]) -> dict[str, str]:
    """The charts of the sections present in a ``report.json`` mapping, by name."""
    charts: dict[str, str] = {}
    seg = report.get("segments")
    if isinstance(seg, dict) and seg.get("segments"):
        floor = ((report.get("policy") or {}).get("segments") or {}).get("min_test_score")
        charts["segments"] = segments_chart(
            seg["segments"],
            overall=seg.get("overall"),
            metric=seg.get("metric") or "",
            floor=floor.get("limit") if isinstance(floor, dict) else None,
        )
    cls = report.get("classification")
    if isinstance(cls, dict):
        if cls.get("classes") and cls.get("confusion"):
            charts["confusion"] = confusion_chart(cls["classes"], cls["confusion"])
        if cls.get("curves"):
            charts["curves"] = curves_chart(cls["curves"])
        if isinstance(cls.get("reliability"), dict):
            charts["reliability"] = reliability_chart(cls["reliability"], ece=cls.get("ece"))
    if isinstance(report.get("regression"), dict):
        charts["residuals"] = residual_chart(report["regression"])
    return charts


def _segment_lines(seg: dict[str, Any]) -> list[str]:
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


def _classification_lines(cls: dict[str, Any]) -> list[str]:
    lines = ["## How the model errs", ""]
    if cls.get("ece") is not None:
        lines += [
            f"Expected calibration error ({(cls.get('reliability') or {}).get('of')}, {cls.get('ece_bins')} bins): "
            f"{score(cls['ece'])}.",
            "",
        ]
    lines += ["| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for label, v in list((cls.get("per_class") or {}).items())[:MAX_CLASSES]:
        lines.append(
            f"| {label} | {score(v.get('precision'))} | {score(v.get('recall'))} | {score(v.get('f1'))} | {v.get('support')} |"
        )
    aucs = [f"{c.get('label')} {score((c.get('roc') or {}).get('auc'))}" for c in cls.get("curves") or []]
    return [*lines, "", *([f"ROC AUC (one-vs-rest): {', '.join(aucs)}.", ""] if aucs else [])]


def _regression_lines(reg: dict[str, Any]) -> list[str]:
    lines = ["## How the model errs", "", "| target bin | rows | MAE | bias |", "|---|---:|---:|---:|"]
    for b in reg.get("by_quantile") or []:
        lines.append(
            f"| [{score(b.get('low'))}, {score(b.get('high'))}] | {b.get('rows')} | {score(b.get('mae'))} | "
            f"{score(b.get('bias'))} |"
        )
    return [*lines, ""]


def _data_issue_lines(d: dict[str, Any]) -> list[str]:
    sample = f" (a random sample of {d.get('rows')} of {d.get('total_rows')} rows)" if d.get("sampled") else ""
    lines = [
        "## Training-data issues (cleanlab Datalab)",
        "",
        f"Exact duplicates: {d.get('exact_duplicates')} rows; conflicting labels: "
        f"{'–' if d.get('conflicting_labels') is None else d.get('conflicting_labels')} rows{sample}.",
        "",
        "| issue | rows | share | score |",
        "|---|---:|---:|---:|",
    ]
    for name, v in (d.get("summary") or {}).items():
        lines.append(f"| {name} | {v.get('issues')} | {score(v.get('rate'))} | {score(v.get('score'))} |")
    return [*lines, ""]


def analysis_markdown(report: dict[str, Any]) -> list[str]:
    """Markdown lines of the sections present in a ``report.json`` mapping."""
    lines: list[str] = []
    for key, render in (
        ("segments", _segment_lines),
        ("classification", _classification_lines),
        ("regression", _regression_lines),
        ("data_issues", _data_issue_lines),
    ):
        if isinstance(report.get(key), dict):
            lines += render(report[key])
    return lines
