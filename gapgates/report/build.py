"""The *report* step: ``report.json`` (versioned schema) and ``report.md`` from a run.

The Markdown is rendered from the JSON form only, so a report can be
re-rendered later from ``report.json`` alone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapgates import __version__
from gapgates.format import fmt
from gapgates.report.files import write_json

if TYPE_CHECKING:  # the pipeline pulls in pandas/sklearn; `gapgates report --from` needs neither
    from gapgates.enforcement import Approval, Enforcement
    from gapgates.pipeline.steps import RunResult

__all__ = ["SCHEMA_VERSION", "build_report", "render_markdown", "report_documents", "rerender", "write_json", "write_reports"]

SCHEMA_VERSION = "1.2"

_ICONS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "skipped": "⏭️"}


def _section(value: Any) -> Any:
    """A result's ``report.json`` section (None stays None)."""
    return None if value is None else value.to_dict()


def build_report(
    result: RunResult, *, enforcement: Enforcement | None = None, approval: Approval | None = None
) -> dict[str, Any]:
    """The ``report.json`` content of a run (plain JSON types only): the one place a report is shaped.

    The CLI, the library and the Prefect flow all write what this returns.

    Args:
        result: The judged run.
        enforcement: What the registry did (or will do once the run commits), or None without a registry.
        approval: A person's answer to a ``needs_approval`` decision, or None.

    Returns:
        A dict with ``schema_version``, ``decision``, ``checks``, ``gap``, ``holdout``,
        ``baseline``, ``config``, ``data`` and the other sections documented in the README.
    """
    prep, ev = result.prepared, result.evidence
    config = prep.config.model_dump(mode="json")
    config["metrics"] = prep.metrics
    gap_result = ev.gap
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "gapgates_version": __version__,
        "created": result.created,
        "model": {
            "name": result.name,
            "spec": prep.config.model,
            "params": config["params"],
            "task": "classification" if prep.classification else "regression",
        },
        "decision": result.decision.outcome.value,
        "reasons": result.decision.reasons,
        "checks": [c.to_dict() for c in result.decision.checks],
        "primary_metric": prep.metrics[0],
        "cv": None
        if gap_result is None
        else {
            "n_folds": gap_result.n_folds,
            "folds": prep.config.folds,
            "repeats": prep.config.repeats,
            "confidence": gap_result.confidence,
            "fit_seconds": round(gap_result.cv.fit_seconds, 3),
            "adaptive": _section(gap_result.repeats),
        },
        "gap": None if gap_result is None else gap_result.to_dict(),
        "holdout": _section(ev.holdout),
        "baseline": _section(ev.baseline),
        "champion": _section(ev.champion),
        "config": config,
        "policy": prep.policy.model_dump(mode="json"),
        "policy_hash": result.policy_hash,
        "data": {
            "path": str(prep.config.data),
            "rows": int(prep.train.rows + (prep.holdout.rows if prep.holdout is not None and prep.config.holdout is None else 0)),
            "train_rows": prep.train.rows,
            "holdout_rows": None if prep.holdout is None else prep.holdout.rows,
            "columns": list(prep.train.columns),
            "fingerprint": prep.fingerprint,
        },
        "quality": _section(ev.quality),
        "errors": dict(ev.errors),
        "history": _section(ev.trend),
        "noise": _section(ev.noise),
        "noise_adjusted": None if ev.noise is None else _section(ev.noise.adjusted),
        "shift": _section(ev.shift),
        "leakage": _section(ev.leakage),
        "diagnosis": _section(result.diagnosis),
        "learning_curve": _section(ev.learning_curve),
        "measured": dict(ev.measured),
        "registry": _section(enforcement),
        "approval": _section(approval),
    }
    if report["noise"] is not None and ev.noise_reference is not None:  # optional key (schema 1.2)
        report["noise"]["reference"] = ev.noise_reference.to_dict()
    if ev.reference_drift is not None:  # optional key (schema 1.2): with a production version's stored sample
        report["reference_drift"] = ev.reference_drift.to_dict()
    if ev.training_curve is not None:  # optional key (schema 1.1): present only with --training-curve
        report["training_curve"] = ev.training_curve.to_dict()
    for key in ("segments", "classification", "regression", "data_issues"):  # optional keys (schema 1.2)
        if getattr(ev, key) is not None:
            report[key] = getattr(ev, key).to_dict()
    return report


def render_markdown(report: dict[str, Any]) -> str:
    """A short Markdown summary: decision, reasons, gap table, checks.

    Args:
        report: A ``report.json`` mapping.

    Returns:
        Markdown text (used for ``report.md``, Prefect artifacts and chat messages).
    """
    decision = report["decision"].upper().replace("_", " ")
    model = report.get("model", {})
    data = report.get("data", {})
    lines = [
        f"# gapgates: {decision}",
        "",
        f"**Model** `{model.get('name')}` · **data** `{data.get('path')}` ({data.get('rows')} rows) · {report.get('created')}",
        "",
    ]
    from gapgates.report.html import approval_summary

    approval = approval_summary(report)
    if approval is not None:
        lines += ["## Approval", "", approval, ""]
    if report.get("reasons"):
        lines += ["## Reasons", ""] + [f"- {r}" for r in report["reasons"]] + [""]
    gap = report.get("gap") or {}
    if gap:
        conf = (report.get("cv") or {}).get("confidence", 0.95)
        holdout = report.get("holdout") or {}
        lines += [
            "## Generalization gap",
            "",
            f"| metric | train | test | gap | {conf:.0%} interval | holdout gap |",
            "|---|---:|---:|---:|---|---:|",
        ]
        for metric, g in gap.items():
            hold = holdout.get(metric, {}).get("gap") if holdout else None
            lines.append(
                f"| {metric} | {fmt(g['train_mean'])} | {fmt(g['test_mean'])} | {fmt(g['gap_mean'])} | "
                f"[{fmt(g['gap_ci_low'])}, {fmt(g['gap_ci_high'])}] | {fmt(hold)} |"
            )
        lines.append("")
        from gapgates.report.html import closeness_lines

        lines += [f"- {line}" for line in closeness_lines(report)]
        lines += ["", *_adaptive_lines(report.get("cv") or {})]
    base = report.get("baseline")
    if base:
        parts = [f"{m} {fmt(v['test'])}" for m, v in base["metrics"].items()]
        lines += [f"Baseline `{base['model']}`: " + ", ".join(parts), ""]
    from gapgates.report.markdown import optional_sections

    lines += optional_sections(report)
    lines += ["## Checks", "", "| | check | value | limit | margin | message |", "|---|---|---:|---:|---:|---|"]
    for c in report.get("checks", []):
        icon = _ICONS.get(c["status"], "")
        lines.append(
            f"| {icon} | {c['name']} | {fmt(c['value'])} | {fmt(c['limit'])} | {fmt(c.get('margin'))} | {c['message']} |"
        )
    return "\n".join(lines) + "\n"


def _adaptive_lines(cv: dict[str, Any]) -> list[str]:
    """One line on the repeats of k-fold added because an interval straddled its limit (none when none were)."""
    adaptive = cv.get("adaptive")
    if not isinstance(adaptive, dict) or not adaptive.get("added"):
        return []
    added = adaptive["added"]
    repeats = f"{added} extra repeat of" if added == 1 else f"{added} extra repeats of"
    verb = "was" if added == 1 else "were"
    return [
        f"{repeats} {adaptive.get('folds')}-fold ({adaptive.get('extra_fits')} fits) {verb} added because an "
        f"interval straddled its limit; the intervals are over all {cv.get('n_folds')} folds.",
        "",
    ]


def write_reports(report: dict[str, Any], out: str | Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and ``report.html`` of a report mapping into ``out`` (created if needed).

    Returns:
        ``{"json": path, "markdown": path, "html": path}``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "report.json", report)
    return {"json": out / "report.json", **render_files(report, out)}


def report_documents(report: dict[str, Any]) -> dict[str, str]:
    """The report as the files a registry stores with a version: ``report.md`` and ``report.html``."""
    from gapgates.report.html import render_html

    return {"report.md": render_markdown(report), "report.html": render_html(report)}


def render_files(report: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` of a report mapping into ``out`` (a monitor run's as one)."""
    if report.get("kind") == "monitor":
        from gapgates.report.monitor import render_monitor_html as render_html
        from gapgates.report.monitor import render_monitor_markdown as markdown
    else:
        from gapgates.report.html import render_html

        markdown = render_markdown
    paths = {"markdown": out / "report.md", "html": out / "report.html"}
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    tmp = out / ".report.html.tmp"
    tmp.write_text(render_html(report), encoding="utf-8")
    os.replace(tmp, paths["html"])
    return paths


def rerender(src: str | Path, *, out: str | Path | None = None) -> dict[str, Path]:
    """Re-render ``report.md`` and ``report.html`` from an existing ``report.json`` (``gapgates report --from``);
    a monitor run's report (``kind: "monitor"``) is rendered as one.

    Args:
        src: A directory holding ``report.json``, or the file itself.
        out: Where to write (default: beside ``report.json``).

    Returns:
        ``{"markdown": path, "html": path}``.

    Raises:
        ConfigError: If there is no readable report.json, or it does not match the schema.
    """
    from gapgates import documents
    from gapgates.paths import check_directory
    from gapgates.report.schema import validate_report

    src = Path(src)
    path = src / "report.json" if src.is_dir() else src
    target = Path(out) if out is not None else path.parent
    check_directory(target, "The report directory (--out)", files=("report.md", "report.html"))
    text = documents.read_text(
        path, "The report", size="MAX_REPORT_BYTES", hint="Pass the --out directory of an earlier check to --from."
    )
    report = documents.load_json(text, f"The report '{path}'")
    if isinstance(report, dict) and report.get("kind") == "monitor":  # a `gapgates monitor` report
        from gapgates.report.schema import validate_monitor

        validate_monitor(report, source=str(path))
    else:
        validate_report(report, source=str(path))
    target.mkdir(parents=True, exist_ok=True)
    return render_files(report, target)
