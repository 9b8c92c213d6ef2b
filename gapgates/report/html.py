"""The stakeholder report: one self-contained HTML page rendered from ``report.json``.

Everything is inline (CSS, SVG charts); a Content-Security-Policy forbids any
fetch, so the page reads the same offline, in a browser or an e-mail archive.
Every section is optional: a section missing from ``report.json`` (noise,
quality, shift, leakage, diagnosis, learning curve, registry, champion,
history) is simply not shown, so old reports re-render too.

Example:
    >>> html = render_html({"decision": "promote", "checks": [], "gap": None})
    >>> "PROMOTE" in html
    True
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from gapgates.format import fmt, is_number

__all__ = [
    "TEMPLATES",
    "approval_summary",
    "champion_rows",
    "closeness",
    "closeness_lines",
    "environment",
    "failed_expectations",
    "learning_curve_series",
    "render_html",
    "training_curve_series",
]

TEMPLATES = Path(__file__).with_name("templates")

#: Decision → (label, symbol, css class). Text and symbol carry the meaning, colour only helps.
DECISIONS = {
    "promote": ("PROMOTE", "✔", "ok"),
    "block": ("BLOCK", "✖", "bad"),
    "needs_approval": ("NEEDS APPROVAL", "❗", "warn"),
}
STATUSES = {
    "pass": ("PASS", "✔", "ok"),
    "warn": ("WARN", "⚠", "warn"),
    "fail": ("FAIL", "✖", "bad"),
    "skipped": ("SKIPPED", "–", "skip"),
}


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
    elif registry.get("version") is not None:
        outcome = f"registered as {registry.get('version')}, not promoted"
    else:
        outcome = "promoted" if approval.get("approved") else "not promoted"
    return f"{head}. Outcome: {outcome}."


def closeness(check: dict[str, Any], *, gate_on: str = "upper") -> str | None:
    """How close a check came to its limit, in one line; None for a check without a margin.

    Example:
        >>> closeness({"name": "gap:accuracy", "value": 0.0415, "limit": 0.05, "margin": 0.0085,
        ...            "repeats": {"added": 1, "inconclusive": False}})
        'gap:accuracy upper bound 0.0415 after 1 extra repeat; limit 0.05 (margin 0.0085)'
    """
    if not is_number(check.get("margin")):
        return None
    name = str(check.get("name"))
    if name.startswith(("gap:", "relative_gap:")):
        name += " upper bound" if gate_on == "upper" else " mean"
    repeats = check.get("repeats")
    after = ""
    if isinstance(repeats, dict) and is_number(repeats.get("added")):
        added = int(repeats["added"])
        after = f" after {added} extra repeat{'' if added == 1 else 's'}"
        after += " (inconclusive: still straddling the limit)" if repeats.get("inconclusive") else ""

    def num(v: Any) -> str:
        return f"{v:.4g}" if is_number(v) else "–"

    return f"{name} {num(check.get('value'))}{after}; limit {num(check.get('limit'))} (margin {num(check['margin'])})"


def closeness_lines(report: dict[str, Any]) -> list[str]:
    """:func:`closeness` of every gap check (``gap:*``, ``relative_gap:*``): how close the gated intervals came."""
    gate_on = ((report.get("policy") or {}).get("gap") or {}).get("gate_on", "upper")
    checks = [
        c
        for c in report.get("checks") or []
        if isinstance(c, dict) and str(c.get("name", "")).startswith(("gap:", "relative_gap:"))
    ]
    return [line for c in checks if (line := closeness(c, gate_on=gate_on)) is not None]


def _limit(policy: dict[str, Any], section: str, key: str) -> float | None:
    rule = (policy.get(section) or {}).get(key)
    return rule.get("limit") if isinstance(rule, dict) else None


def learning_curve_series(section: Any) -> tuple[list[float], list[float], list[float]] | None:
    """``(rows, train, test)`` of the ``learning_curve`` section's ``points``; None if absent or unreadable."""
    points = section.get("points") if isinstance(section, dict) else None
    if not isinstance(points, list) or not points:
        return None
    try:
        series = [[float(p[k]) for p in points] for k in ("rows", "train", "test")]
    except (KeyError, TypeError, ValueError):
        return None
    return series[0], series[1], series[2]


def training_curve_series(section: Any) -> tuple[list[float], list[float], list[float], list[float]] | None:
    """``(iterations, train, test, test_se)`` of the ``training_curve`` section's ``points``; None if absent,
    skipped or unreadable (a missing number is NaN: a gap in the line)."""
    points = section.get("points") if isinstance(section, dict) else None
    if not isinstance(points, list) or not points:
        return None
    try:
        series = [[math.nan if p[k] is None else float(p[k]) for p in points] for k in ("iteration", "train", "test", "test_se")]
    except (KeyError, TypeError, ValueError):
        return None
    return series[0], series[1], series[2], series[3]


def failed_expectations(quality: Any) -> list[dict[str, Any]]:
    """The failed entries of the ``quality`` section's ``results``."""
    results = quality.get("results") if isinstance(quality, dict) else None
    return [r for r in results or [] if isinstance(r, dict) and not r.get("success", False)]


def _minus(a: Any, b: Any) -> float | None:
    return float(a) - float(b) if is_number(a) and is_number(b) else None


def champion_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Challenger (this run) beside champion (production) on the primary metric; [] without a champion.

    Rows: mean test score on the same folds, holdout score (when there is a holdout) and the gap
    (the champion's as recorded when it was registered), each with ``challenger − champion``.
    """
    champ = report.get("champion")
    if not isinstance(champ, dict) or champ.get("version") is None:
        return []
    metric = champ.get("metric")
    gap = (report.get("gap") or {}).get(metric) or {}
    hold = (report.get("holdout") or {}).get(metric) or {}
    rows = [(f"{metric}, mean of the same test folds", gap.get("test_mean"), champ.get("test_mean"))]
    if hold or champ.get("holdout") is not None:
        rows.append((f"{metric} on the holdout", hold.get("test"), champ.get("holdout")))
    rows.append((f"{metric} gap (train − test; champion's as recorded)", gap.get("gap_mean"), champ.get("recorded_gap")))
    return [{"what": what, "challenger": a, "champion": b, "difference": _minus(a, b)} for what, a, b in rows]


def _charts(report: dict[str, Any]) -> dict[str, str]:
    from gapgates.report import charts as plots

    charts: dict[str, str] = {}
    gap, policy = report.get("gap") or {}, report.get("policy") or {}
    limit = _limit(policy, "gap", "max_gap")
    if gap:
        conf = (report.get("cv") or {}).get("confidence", 0.95)
        charts["gap"] = plots.gap_chart(gap, limit=limit, confidence=conf)
        charts["folds"] = plots.fold_chart(gap)
    history = report.get("history")
    if isinstance(history, dict) and history.get("metric") in gap:
        g = gap[history["metric"]]
        current = {"gap": g.get("gap_mean"), "gap_ci_low": g.get("gap_ci_low"), "gap_ci_high": g.get("gap_ci_high")}
        runs = history.get("runs") or []
        charts["history"] = plots.history_chart(runs, current, metric=history["metric"], limit=limit)
    series = learning_curve_series(report.get("learning_curve"))
    if series is not None:
        metric = (report.get("learning_curve") or {}).get("metric") or report.get("primary_metric") or "score"
        charts["learning_curve"] = plots.learning_curve_chart(*series, metric=metric)
    training = training_curve_series(report.get("training_curve"))
    if training is not None:
        section = report["training_curve"]
        charts["training_curve"] = plots.training_curve_chart(
            *training,
            metric=section.get("metric") or "score",
            best=section.get("best_iteration"),
            stop=section.get("stopping_iteration"),
        )
    from gapgates.report.analysis import analysis_charts

    charts.update(analysis_charts(report))
    return charts


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


def render_html(report: dict[str, Any]) -> str:
    """Render the HTML report of a ``report.json`` mapping.

    Args:
        report: The report (only ``decision`` is required; every other section is optional).

    Returns:
        A complete, self-contained HTML document.
    """
    from markupsafe import Markup

    env = environment()
    policy = report.get("policy") or {}
    checks = report.get("checks") or []
    gap_status = {c["name"].split(":", 1)[1]: c["status"] for c in checks if c.get("name", "").startswith("gap:")}
    charts = {k: Markup(v) for k, v in _charts(report).items()}
    return env.get_template("report.html.j2").render(
        r=report,
        decision=DECISIONS.get(str(report.get("decision")), (str(report.get("decision")).upper(), "?", "warn")),
        statuses=STATUSES,
        charts=charts,
        gap_limit=_limit(policy, "gap", "max_gap"),
        gap_status=gap_status,
        gate_on=(policy.get("gap") or {}).get("gate_on", "upper"),
        failed_expectations=failed_expectations(report.get("quality")),
        champion_rows=champion_rows(report),
        approval=approval_summary(report),
        closeness=closeness_lines(report),
    )
