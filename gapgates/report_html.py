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

__all__ = ["TEMPLATES", "champion_rows", "failed_expectations", "learning_curve_series", "render_html"]

TEMPLATES = Path(__file__).with_name("templates")

#: Decision → (label, symbol, css class). Text and symbol carry the meaning, colour only helps.
DECISIONS = {
    "promote": ("PROMOTE", "✔", "ok"),
    "block": ("BLOCK", "✖", "bad"),
    "needs_approval": ("NEEDS APPROVAL", "❗", "warn"),
}
STATUSES = {"pass": ("PASS", "✔", "ok"), "warn": ("WARN", "⚠", "warn"), "fail": ("FAIL", "✖", "bad"),
            "skipped": ("SKIPPED", "–", "skip")}


def fmt(value: Any) -> str:
    """A number with 4 significant decimals, '–' for missing values, anything else as text."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.4g}"
    return str(value)


def _limit(policy: dict[str, Any], section: str, key: str) -> float | None:
    rule = (policy.get(section) or {}).get(key)
    return rule.get("limit") if isinstance(rule, dict) else None


def _means(values: Any) -> list[float] | None:
    if not isinstance(values, list) or not values:
        return None
    out = []
    for v in values:
        if isinstance(v, list):
            v = sum(v) / len(v) if v else None
        if not isinstance(v, (int, float)):
            return None
        out.append(float(v))
    return out


def learning_curve_series(section: Any) -> tuple[list[float], list[float], list[float]] | None:
    """``(sizes, train, test)`` from a learning-curve section, in either column or row form; None if unreadable."""
    if isinstance(section, dict) and isinstance(section.get("points"), list):
        section = section["points"]
    if isinstance(section, list) and section and all(isinstance(p, dict) for p in section):
        section = {k: [p.get(k) for p in section] for k in section[0]}
    if not isinstance(section, dict):
        return None

    def pick(*names: str) -> list[float] | None:
        return next((s for s in (_means(section.get(n)) for n in names) if s is not None), None)

    sizes = pick("train_sizes", "sizes", "size", "n_rows", "rows")
    train = pick("train_mean", "train_scores", "train", "train_score")
    test = pick("test_mean", "test_scores", "test", "test_score")
    if sizes and train and test and len(sizes) == len(train) == len(test):
        return sizes, train, test
    return None


def failed_expectations(quality: Any) -> list[dict[str, Any]]:
    if not isinstance(quality, dict):
        return []
    for value in quality.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) and "expectation" in v for v in value):
            return [v for v in value if not v.get("success", False)]
    return []


def _metric_values(section: Any) -> dict[str, float]:
    if not isinstance(section, dict):
        return {}
    out = {}
    for metric, v in section.items():
        if isinstance(v, dict):
            v = v.get("gap_mean", v.get("test_mean", v.get("gap", v.get("test"))))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[metric] = float(v)
    return out


def champion_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Side-by-side rows (metric, challenger/champion test score and gap) when the champion section has them."""
    champ, gap = report.get("champion"), report.get("gap") or {}
    if not isinstance(champ, dict):
        return []
    tests = _metric_values(champ.get("test") or champ.get("test_mean") or champ.get("scores"))
    gaps = _metric_values(champ.get("gap"))
    return [
        {"metric": m, "test": g.get("test_mean"), "champion_test": tests.get(m), "gap": g.get("gap_mean"),
         "champion_gap": gaps.get(m)}
        for m, g in gap.items() if m in tests or m in gaps
    ]


def _charts(report: dict[str, Any]) -> dict[str, str]:
    from gapgates import report_plots as plots

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
        charts["learning_curve"] = plots.learning_curve_chart(*series, metric=report.get("primary_metric") or "score")
    return charts


def render_html(report: dict[str, Any]) -> str:
    """Render the HTML report of a ``report.json`` mapping.

    Args:
        report: The report (only ``decision`` is required; every other section is optional).

    Returns:
        A complete, self-contained HTML document.
    """
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.ChainableUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    policy = report.get("policy") or {}
    checks = report.get("checks") or []
    gap_status = {c["name"].split(":", 1)[1]: c["status"] for c in checks if c.get("name", "").startswith("gap:")}
    charts = {k: Markup(v) for k, v in _charts(report).items()}
    return env.get_template("report.html.j2").render(
        r=report, decision=DECISIONS.get(report.get("decision"), (str(report.get("decision")).upper(), "?", "warn")),
        statuses=STATUSES, charts=charts, gap_limit=_limit(policy, "gap", "max_gap"), gap_status=gap_status,
        gate_on=(policy.get("gap") or {}).get("gate_on", "upper"),
        failed_expectations=failed_expectations(report.get("quality")), champion_rows=champion_rows(report),
        optional=[k for k in ("noise_adjusted", "leakage", "registry", "champion") if report.get(k)],
    )
