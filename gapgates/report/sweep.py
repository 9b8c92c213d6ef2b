"""The reports of a capacity sweep: ``sweep.json`` (schema ``schema/sweep.schema.json``) and ``sweep.md``.

As for a run's report, the Markdown is rendered from the JSON form only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapgates import __version__
from gapgates.report.build import write_json

if TYPE_CHECKING:  # the pipeline pulls in pandas/sklearn
    from gapgates.pipeline.sweep import SweepPoint, SweepResult

__all__ = [
    "SWEEP_SCHEMA_VERSION", "recommendation_line", "render_sweep_markdown", "sweep_document", "sweep_rows", "write_sweep",
]

SWEEP_SCHEMA_VERSION = "1.0"


def _failed(point: SweepPoint) -> list[str]:
    return [c.name for c in point.run.decision.checks if c.status.value in {"fail", "warn"}]


def _value_entry(point: SweepPoint) -> dict[str, Any]:
    gap = point.gap
    return {
        "value": point.value,
        "regime": None if point.regime is None else point.regime.value,
        "decision": point.run.decision.outcome.value,
        "passed": point.passed,
        "failed": _failed(point),
        "n_folds": gap.n_folds,
        "gap": gap.to_dict(),
    }


def sweep_document(result: SweepResult) -> dict[str, Any]:
    """The ``sweep.json`` content of a sweep (plain JSON types only).

    Args:
        result: The judged sweep.

    Returns:
        A mapping that validates against ``sweep.schema.json``.
    """
    from gapgates.judge.policy import policy_hash

    prep, config = result.prepared, result.prepared.config
    best = result.recommended
    recommendation = None
    if best is not None:
        primary = best.gap.to_dict()[result.metric]
        recommendation = {"value": best.value, "param_line": result.param_line, "test_mean": primary["test_mean"],
                          "gap_mean": primary["gap_mean"], "gap_ci_high": primary["gap_ci_high"]}
    refused = None
    if result.refused is not None:
        refused = "; ".join(result.refused.decision.reasons) or "the data failed the data-quality gate"
    return {
        "schema_version": SWEEP_SCHEMA_VERSION,
        "gapgates_version": __version__,
        "created": result.created,
        "model": {"name": config.model_name, "spec": config.model, "params": dict(config.params),
                  "task": "classification" if prep.classification else "regression"},
        "param": result.param,
        "capacity": "increasing" if result.increasing else "decreasing",
        "primary_metric": result.metric,
        "cv": {"folds": config.folds, "repeats": config.repeats, "seed": config.seed,
               "confidence": prep.policy.gap.confidence, "fits": sum(p.gap.n_folds for p in result.points)},
        "data": {"fingerprint": prep.fingerprint, "train_rows": int(prep.train.rows)},
        "policy_hash": policy_hash(prep.policy),
        "values": [_value_entry(p) for p in result.points],
        "recommendation": recommendation,
        "refused": refused,
    }


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def sweep_rows(document: dict[str, Any]) -> list[tuple[str, ...]]:
    """The table of a sweep, one row per value: value, train, test, gap, interval, regime, decision."""
    from gapgates.compute.sweep import format_value

    metric = document["primary_metric"]
    rows = []
    for entry in document["values"]:
        g = entry["gap"][metric]
        rows.append((format_value(entry["value"]), _cell(g["train_mean"]), _cell(g["test_mean"]), _cell(g["gap_mean"]),
                     f"[{_cell(g['gap_ci_low'])}, {_cell(g['gap_ci_high'])}]", entry["regime"] or "–",
                     entry["decision"] + ("" if entry["passed"] else f" ({', '.join(entry['failed'])})")))
    return rows


def recommendation_line(document: dict[str, Any]) -> str:
    """One line: the recommended ``--param`` and its scores, or why there is none."""
    best = document["recommendation"]
    if document["refused"] is not None:
        return f"No value was fit: {document['refused']}"
    if best is None:
        return f"No value of {document['param']} passes the policy."
    return (f"Recommended: {best['param_line']} ({document['primary_metric']} test {_cell(best['test_mean'])}, "
            f"gap {_cell(best['gap_mean'])}, interval high {_cell(best['gap_ci_high'])}; passes the policy)")


def render_sweep_markdown(document: dict[str, Any]) -> str:
    """``sweep.md`` from a ``sweep.json`` mapping."""
    param, metric = document["param"], document["primary_metric"]
    cv = document["cv"]
    lines = [
        f"# Capacity sweep: {document['model']['name']} over `{param}`",
        "",
        f"{len(document['values'])} values, each on the same {cv['folds']} folds × {cv['repeats']} repeats (seed "
        f"{cv['seed']}, {cv['fits']} fits), judged by the whole policy (`{document['policy_hash'][:12]}`). "
        f"Larger values of `{param}` make the model {'more' if document['capacity'] == 'increasing' else 'less'} "
        "flexible; rows go from the least to the most flexible model.",
        "",
        f"**{recommendation_line(document)}**",
        "",
        f"| {param} | train {metric} | test {metric} | gap | {cv['confidence']:.0%} interval | regime | decision |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    lines += ["| " + " | ".join(f"`{row[0]}`" if i == 0 else cell for i, cell in enumerate(row)) + " |"
              for row in sweep_rows(document)]
    lines += [
        "",
        "Regimes: *classical* before the interpolation threshold (the first value whose train score is at its "
        "maximum); *critical* from the threshold to the test score's local minimum beside it; *modern* past it, "
        "where train stays at its maximum and the test score improves again.",
        "",
    ]
    return "\n".join(lines)


def write_sweep(document: dict[str, Any], out: str | Path) -> dict[str, Path]:
    """Write ``sweep.json`` and ``sweep.md`` into ``out`` (created if needed), after checking the schema.

    Returns:
        ``{"json": path, "markdown": path}``.

    Raises:
        ConfigError: If the document does not match the schema (a bug: nothing is written).
    """
    from gapgates.report.schema import validate_sweep

    validate_sweep(document)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "sweep.json", "markdown": out / "sweep.md"}
    write_json(paths["json"], document)
    paths["markdown"].write_text(render_sweep_markdown(document), encoding="utf-8")
    return paths
