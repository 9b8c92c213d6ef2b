"""The *report* step: ``report.json`` (versioned schema) and ``report.md`` from a run.

The Markdown is rendered from the JSON form only, so a report can be
re-rendered later from ``report.json`` alone.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from gapgates import __version__
from gapgates.runner import RunResult

__all__ = ["SCHEMA_VERSION", "build_report", "render_markdown", "write_json", "write_reports"]

SCHEMA_VERSION = "1.0"

_ICONS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "skipped": "⏭️"}


def build_report(result: RunResult) -> dict[str, Any]:
    """The ``report.json`` content of a run (plain JSON types only).

    Args:
        result: The run.

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
        "model": {"name": result.name, "spec": prep.config.model, "params": config["params"],
                  "task": "classification" if prep.classification else "regression"},
        "decision": result.decision.outcome.value,
        "reasons": result.decision.reasons,
        "checks": [c.to_dict() for c in result.decision.checks],
        "primary_metric": prep.metrics[0],
        "cv": None if gap_result is None else {
            "n_folds": gap_result.n_folds, "folds": prep.config.folds, "repeats": prep.config.repeats,
            "confidence": gap_result.confidence,
            "fit_seconds": round(gap_result.cv.fit_seconds, 3),
        },
        "gap": None if gap_result is None else gap_result.to_dict(),
        "holdout": None if ev.holdout is None else ev.holdout.to_dict(),
        "baseline": None if ev.baseline is None else ev.baseline.to_dict(),
        "champion": None if ev.champion is None else ev.champion.to_dict(),
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
        "errors": dict(ev.errors),
    }
    report.update(result.extra)
    return report


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


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
                f"| {metric} | {_fmt(g['train_mean'])} | {_fmt(g['test_mean'])} | {_fmt(g['gap_mean'])} | "
                f"[{_fmt(g['gap_ci_low'])}, {_fmt(g['gap_ci_high'])}] | {_fmt(hold)} |"
            )
        lines.append("")
    base = report.get("baseline")
    if base:
        parts = [f"{m} {_fmt(v['test'])}" for m, v in base["metrics"].items()]
        lines += [f"Baseline `{base['model']}`: " + ", ".join(parts), ""]
    lines += ["## Checks", "", "| | check | value | limit | message |", "|---|---|---:|---:|---|"]
    for c in report.get("checks", []):
        lines.append(f"| {_ICONS.get(c['status'], '')} | {c['name']} | {_fmt(c['value'])} | {_fmt(c['limit'])} | {c['message']} |")
    return "\n".join(lines) + "\n"


def write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically (temp file + ``os.replace``), so a reader never sees half a report."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_reports(result: RunResult, out: str | Path) -> dict[str, Path]:
    """Write ``report.json`` and ``report.md`` into ``out`` (created if needed).

    Returns:
        ``{"json": path, "markdown": path}``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = build_report(result)
    paths = {"json": out / "report.json", "markdown": out / "report.md"}
    write_json(paths["json"], report)
    paths["markdown"].write_text(render_markdown(report), encoding="utf-8")
    return paths
