"""``report.md`` (also the Prefect flow's report artifact and the webhook's text), rendered from ``report.json`` only.

The headline, the reasons, the diagnosis, the registry and the checks are the page's own; every other section is
a registered measurement's (:attr:`gapgates.measurements.base.Section.markdown`, and its one-line findings under
the diagnosis), in registry order. Shapes are read defensively, so an older or newer report still renders.
"""

from __future__ import annotations

from typing import Any

from gapgates.format import fmt

__all__ = ["render_markdown"]

_ICONS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "skipped": "⏭️"}


def _diagnosis(report: dict[str, Any], findings: list[str]) -> list[str]:
    """The diagnosis, then one line per finding of the measurements (noise, shift, leakage, the curves...)."""
    diag = report.get("diagnosis")
    if not isinstance(diag, dict):
        return []
    lines = [f"## Diagnosis: {diag.get('label', '–')}", ""]
    if diag.get("explanation"):
        lines += [str(diag["explanation"]), ""]
    lines += [f"- {m}" for m in diag.get("mitigations") or []] + [""]
    return [*lines, *findings, ""]


def _registry(report: dict[str, Any]) -> list[str]:
    r = report.get("registry")
    if not isinstance(r, dict):
        return []
    from gapgates.report.html import registry_outcome

    return ["## Registry", "", registry_outcome(r), ""]


def render_markdown(report: dict[str, Any]) -> str:
    """A short Markdown summary: decision, reasons, the measurements' sections, checks.

    Args:
        report: A ``report.json`` mapping.

    Returns:
        Markdown text (used for ``report.md``, Prefect artifacts and chat messages).

    Example:
        >>> render_markdown({"decision": "block", "reasons": ["gap too wide"]}).splitlines()[0]
        '# gapgates: BLOCK'
    """
    from gapgates.measurements import REGISTRY
    from gapgates.report.html import approval_summary, headline, lumped_text

    decision = headline(report)[0]
    model = report.get("model", {})
    data = report.get("data", {})
    lines = [
        f"# gapgates: {decision}",
        "",
        f"**Model** `{model.get('name')}` · **data** `{data.get('path')}` ({data.get('rows')} rows) · {report.get('created')}",
        "",
    ]
    lumped = lumped_text(data)
    if lumped:
        lines += [lumped, ""]
    approval = approval_summary(report)
    if approval is not None:
        lines += ["## Approval", "", approval, ""]
    if report.get("reasons"):
        lines += ["## Reasons", ""] + [f"- {r}" for r in report["reasons"]] + [""]
    sections = [m.section for m in list(REGISTRY.values()) if m.section is not None]
    for section in sections:
        if section.top and section.markdown is not None:
            lines += section.markdown(report)
    lines += _diagnosis(report, [line for s in sections if s.summary is not None for line in s.summary(report)])
    for section in sections:
        if not section.top and section.markdown is not None:
            lines += section.markdown(report)
    lines += _registry(report)
    lines += ["## Checks", "", "| | check | value | limit | margin | message |", "|---|---|---:|---:|---:|---|"]
    for c in report.get("checks", []):
        icon = _ICONS.get(c["status"], "")
        lines.append(
            f"| {icon} | {c['name']} | {fmt(c['value'])} | {fmt(c['limit'])} | {fmt(c.get('margin'))} | {c['message']} |"
        )
    return "\n".join(lines) + "\n"
