"""The stakeholder report: one self-contained HTML page rendered from ``report.json``.

Everything is inline (CSS, SVG charts); a Content-Security-Policy forbids any
fetch, so the page reads the same offline, in a browser or an e-mail archive.
Every section is optional: a section missing from ``report.json`` is simply not
shown, so old reports re-render too. The page is the headline, the diagnosis,
the checks and the registry; every other section is a registered measurement's
(:attr:`gapgates.measurements.base.Section.html`, a template under
``templates/sections/``), in registry order.

Example:
    >>> html = render_html({"decision": "promote", "checks": [], "gap": None})
    >>> "PROMOTE" in html
    True
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from gapgates.format import fmt

__all__ = [
    "ANSWERED",
    "DECISIONS",
    "STATUSES",
    "TEMPLATES",
    "approval_summary",
    "environment",
    "headline",
    "registry_outcome",
    "render_html",
    "sections",
]

TEMPLATES = Path(__file__).with_name("templates")

#: Decision → (label, symbol, css class). Text and symbol carry the meaning, colour only helps.
DECISIONS = {
    "promote": ("PROMOTE", "✔", "ok"),
    "block": ("BLOCK", "✖", "bad"),
    "needs_approval": ("NEEDS APPROVAL", "❗", "warn"),
}
#: A ``needs_approval`` decision a person answered → (label, symbol, css class): the title says the outcome.
ANSWERED = {
    "approved": ("APPROVED", "✔", "ok"),
    "rejected": ("REJECTED", "✖", "bad"),
    "timed_out": ("NOT APPROVED", "✖", "bad"),
}
STATUSES = {
    "pass": ("PASS", "✔", "ok"),
    "warn": ("WARN", "⚠", "warn"),
    "fail": ("FAIL", "✖", "bad"),
    "skipped": ("SKIPPED", "–", "skip"),
}


def headline(report: dict[str, Any]) -> tuple[str, str, str]:
    """The report's title: ``(label, symbol, css class)`` of its decision, or of a person's answer to a
    ``needs_approval`` decision (``APPROVED``, ``REJECTED``, ``NOT APPROVED`` when it timed out).

    Example:
        >>> headline({"decision": "needs_approval", "approval": {"approved": True, "timed_out": False}})[0]
        'APPROVED'
        >>> headline({"decision": "needs_approval"})[0]
        'NEEDS APPROVAL'
    """
    decision = str(report.get("decision"))
    approval = report.get("approval")
    if decision == "needs_approval" and isinstance(approval, dict):
        answer = "timed_out" if approval.get("timed_out") else "approved" if approval.get("approved") else "rejected"
        return ANSWERED[answer]
    return DECISIONS.get(decision, (decision.upper(), "?", "warn"))


def registry_outcome(r: dict[str, Any]) -> str:
    """One sentence on what became of the candidate in the registry (the ``registry`` section of a report).

    A ``pending`` report was written before the production switch: it says so, never "promoted".

    Example:
        >>> registry_outcome({"version": "v3", "promoted": True, "production": "v3", "previous": "v2", "outcome": "promoted"})
        'Registered as v3; promoted to production, replacing v2. Production: v3.'
    """
    version, production = r.get("version"), r.get("production") or "none"
    settled = ""
    if r.get("settled"):
        settled = f" (settled from the registry at {r['settled']}: the run ended before it recorded the outcome)"
    outcome = r.get("outcome")
    if version is None:
        return f"Nothing was registered (no model was fit). Production: {production}."
    if outcome == "pending":
        return (
            f"Registered as {version}; promotion to production pending: this report was written before the switch, "
            f"when production was {r.get('previous') or 'none'}. 'gapgates report --from' on this directory tells "
            "whether production moved."
        )
    if r.get("promoted"):
        replacing = f", replacing {r['previous']}" if r.get("previous") else ""
        return f"Registered as {version}; promoted to production{replacing}{settled}. Production: {production}."
    why = {
        "refused": f": {str(r.get('reason') or 'production moved after the comparison').rstrip('.')}",
        "withdrawn": f": {str(r.get('reason') or 'a step before the production switch failed').rstrip('.')}",
        "registered": " (the gate passed; the run did not ask to promote)",
        "blocked": " (the gate did not pass)",
        "unfinished": f": the run ended before production moved{settled}",
    }.get(str(outcome), "")
    return f"Registered as {version}; not promoted{why}. Production: {production}."


def lumped_text(data: dict[str, Any]) -> str:
    """One sentence naming the text columns whose rarest values were encoded as one (``data.lumped_columns``), or
    an empty string."""
    lumped = data.get("lumped_columns") or {}
    if not lumped:
        return ""
    names = ", ".join(f"{column} ({count} values)" for column, count in lumped.items())
    return f"Text columns encoded as their 19 most frequent values and one column for the rest: {names}."


def approval_summary(report: dict[str, Any]) -> str | None:
    """One line on the approval of a ``needs_approval`` decision: who answered, why, and the outcome.

    None when nobody was asked (any other decision).

    Example:
        >>> approval_summary({"decision": "needs_approval", "approval": {"approved": True, "actor": "alice",
        ...     "reason": "known shift", "timed_out": False}, "registry": {"version": "v3", "promoted": True}})
        'APPROVED by alice: known shift. Outcome: promoted to production as v3.'
    """
    approval, registry = report.get("approval"), report.get("registry") or {}
    if not isinstance(approval, dict):
        return "Waiting for a person's approval." if report.get("decision") == "needs_approval" else None
    if approval.get("timed_out"):
        head = f"NOT APPROVED: {approval.get('reason')}"
    else:
        verb = "APPROVED" if approval.get("approved") else "REJECTED"
        head = f"{verb} by {approval.get('actor')}: {approval.get('reason') or 'no reason given'}"
    if registry.get("promoted"):
        outcome = f"promoted to production as {registry.get('version')}"
    elif registry.get("outcome") == "pending":
        outcome = f"registered as {registry.get('version')}, promotion pending (written before the switch)"
    elif registry.get("version") is not None:
        outcome = f"registered as {registry.get('version')}, not promoted"
    else:
        outcome = "promoted" if approval.get("approved") else "not promoted"
    return f"{head}. Outcome: {outcome}."


def environment() -> Any:
    """The Jinja environment of the HTML pages (the report, the digest): autoescaped, with the ``fmt`` filter."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    return env


@functools.lru_cache(maxsize=1)
def _report_environment() -> Any:
    """The report's environment, kept for the process: its templates are compiled once, not at every render (a
    promoting run renders its report up to three times: for the registry, pending, and with the outcome)."""
    return environment()


#: Charts of the reports rendered last, by their content less the sections the commit phase rewrites: a promoting
#: run renders its report for the registry, before the production switch (pending) and after it, with the same charts.
_CHARTS: dict[str, dict[str, str]] = {}
_CHARTS_KEPT = 4
_REWRITTEN = frozenset({"registry", "approval"})


def _chart_key(report: dict[str, Any]) -> str:
    import hashlib
    import json

    drawn = {k: v for k, v in report.items() if k not in _REWRITTEN}
    return hashlib.sha256(json.dumps(drawn, sort_keys=True, default=str).encode()).hexdigest()


def sections(report: dict[str, Any]) -> tuple[list[str], list[str], dict[str, Any], dict[str, str]]:
    """What the registered measurements show of a report: the templates above the diagnosis and below the checks
    (registry order), the variables they read, and their charts (inline SVG, by name; drawn once per report content,
    the registry section and the approval aside)."""
    from gapgates.measurements import REGISTRY

    top: list[str] = []
    body: list[str] = []
    context: dict[str, Any] = {}
    key = _chart_key(report)
    known = _CHARTS.get(key)
    charts: dict[str, str] = {}
    for measurement in list(REGISTRY.values()):
        section = measurement.section
        if section is None:
            continue
        if section.html is not None:
            (top if section.top else body).append(section.html)
        if section.context is not None:
            context.update(section.context(report))
        if section.charts is not None and known is None:
            charts.update(section.charts(report))
    if known is None:
        _CHARTS[key] = charts
        while len(_CHARTS) > _CHARTS_KEPT:
            _CHARTS.pop(next(iter(_CHARTS)))
    return top, body, context, dict(known if known is not None else charts)


def render_html(report: dict[str, Any]) -> str:
    """Render the HTML report of a ``report.json`` mapping.

    Args:
        report: The report (only ``decision`` is required; every other section is optional).

    Returns:
        A complete, self-contained HTML document.
    """
    from markupsafe import Markup

    top, body, context, charts = sections(report)
    return (
        _report_environment()
        .get_template("report.html.j2")
        .render(
            **context,
            r=report,
            decision=headline(report),
            statuses=STATUSES,
            charts={k: Markup(v) for k, v in charts.items()},
            top_sections=top,
            body_sections=body,
            approval=approval_summary(report),
            lumped=lumped_text(report.get("data") or {}),
            registry=registry_outcome(report["registry"]) if isinstance(report.get("registry"), dict) else None,
        )
    )
