"""Drift of this run's training rows from the data production was trained on (``comparison`` step, with a registry
whose production version stores a training sample).

A KS / chi-square test per column against the stored sample. Evidence only: no rule reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapgates.measurements.base import Context, Measurement, Section

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence

__all__ = ["REFERENCE_DRIFT"]


def _compute(ctx: Context) -> Any:
    """The per-column drift of the training rows from the sample stored with the production version (None without a
    registry, a production version or a stored sample)."""
    prep = ctx.prep
    config = prep.config
    if config.registry is None:
        return None
    from gapgates.compute.drift import ReferenceDrift, column_drift
    from gapgates.registry import open_registry
    from gapgates.registry.sample import load_training_sample

    reg = open_registry(config.registry, model_name=config.model_name, alias=config.alias)
    version = reg.production
    if version is None:
        return None
    metadata = reg.info(version).metadata
    if not isinstance(metadata.get("training_sample"), dict):
        return None  # registered before samples were stored
    sample = load_training_sample(reg, version, metadata=metadata)
    shared = [c for c in sample.features if c in prep.train.X.columns]
    if not shared:
        return None
    alpha = prep.policy.shift.drift_alpha
    columns = column_drift(sample.table[shared], prep.train.X[shared], alpha=alpha)
    return ReferenceDrift(version=str(version), reference_rows=sample.rows, rows=prep.train.rows, columns=columns, alpha=alpha)


def _summary(report: dict[str, Any]) -> list[str]:
    reference = report.get("reference_drift")
    if not isinstance(reference, dict) or reference.get("version") is None:
        return []
    drifted = ", ".join(str(c) for c in (reference.get("drifted") or [])[:5]) or "none"
    return [
        f"- Drifted since production {reference['version']}'s data ({reference.get('reference_rows')} "
        f"sampled rows at its promotion vs {reference.get('rows')} now): {drifted}"
    ]


def _json(ev: Evidence) -> dict[str, Any]:
    return {} if ev.reference_drift is None else {"reference_drift": ev.reference_drift.to_dict()}


REFERENCE_DRIFT = Measurement(
    name="reference_drift",
    step="comparison",
    compute=_compute,
    failure="the drift from the production version's data could not be measured",
    section=Section(
        keys=("reference_drift",),
        json=_json,
        schema="reference_drift.json",
        summary=_summary,
        html="reference_drift.html.j2",
    ),
)
