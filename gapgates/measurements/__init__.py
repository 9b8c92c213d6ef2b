"""What gapgates measures: one module per measurement, registered once, in the order of its rules and sections.

Each module declares a :class:`~gapgates.measurements.base.Measurement`: its compute call and the pipeline step
that runs it, its evidence, its rules, the diagnosis it can name and its advice, and its report section
(``report.json`` keys and schema fragment, Markdown, HTML, charts, the flow's tables). Everything that used to
name measurements one by one — the evidence, the pipeline's steps, the rules, the diagnosis, the report builder
and renderers, the flow's artifacts — loops over :data:`REGISTRY`. To add one, see docs/contributing.md, "Adding a
measurement": a module, one line in :data:`BUILT_IN` (or a :func:`register` call from your own code), and its test.
"""

from __future__ import annotations

from gapgates.measurements import (
    baseline,
    champion,
    classification,
    data_issues,
    gap,
    holdout,
    leakage,
    learning_curve,
    noise,
    quality,
    recall,
    reference_drift,
    segments,
    shift,
    strong_baseline,
    training_curve,
    trend,
)
from gapgates.measurements.base import (
    REGISTRY,
    STEPS,
    Context,
    Diagnoser,
    Incomplete,
    Measurement,
    Section,
    Step,
    Table,
    breached,
    get,
    in_step,
    listed,
    named,
    register,
    unregister,
)

__all__ = [
    "BUILT_IN",
    "REGISTRY",
    "STEPS",
    "Context",
    "Diagnoser",
    "Incomplete",
    "Measurement",
    "Section",
    "Step",
    "Table",
    "breached",
    "get",
    "in_step",
    "listed",
    "named",
    "register",
    "unregister",
]

#: The built-in measurements, in the order their rules are evaluated and their sections shown.
BUILT_IN: tuple[Measurement, ...] = (
    quality.QUALITY,
    gap.GAP,
    holdout.HOLDOUT,
    baseline.BASELINE,
    strong_baseline.STRONG_BASELINE,
    trend.TREND,
    noise.NOISE,
    noise.NOISE_REFERENCE,
    shift.SHIFT,
    reference_drift.REFERENCE_DRIFT,
    leakage.LEAKAGE,
    champion.CHAMPION,
    segments.SEGMENTS,
    classification.CLASSIFICATION,
    classification.REGRESSION,
    recall.RECALL,
    data_issues.DATA_ISSUES,
    learning_curve.LEARNING_CURVE,
    training_curve.TRAINING_CURVE,
)

for _measurement in BUILT_IN:
    register(_measurement)
