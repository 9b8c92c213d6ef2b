"""Everything the gate computed for one candidate: the input of :func:`gapgates.judge.rules.evaluate`.

Each field holds the typed result of one measurement (None: not computed). A measurement that
failed is recorded in :attr:`Evidence.errors` under its field's name, and every rule reading
that field then fails. The keys are checked when the evidence is built: a misspelt key is a
programming error, raised at once, never a silently skipped check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from gapgates.compute.baseline import BaselineResult
from gapgates.compute.champion import ChampionResult
from gapgates.compute.classification import ClassificationEvidence, RegressionEvidence
from gapgates.compute.crossval import GapResult
from gapgates.compute.datalab import DataIssues
from gapgates.compute.drift import ReferenceDrift
from gapgates.compute.holdout import HoldoutResult
from gapgates.compute.leakage import LeakageResult
from gapgates.compute.learning_curve import LearningCurve
from gapgates.compute.noise import NoiseResult
from gapgates.compute.noise_reference import NoiseReference
from gapgates.compute.segments import SegmentResult
from gapgates.compute.shift import ShiftResult
from gapgates.compute.training_curve import TrainingCurve
from gapgates.compute.trend import TrendResult
from gapgates.quality.result import QualityResult

__all__ = ["Evidence", "evidence_fields", "measurement_names", "register_measurement"]

#: Evidence names of the measurements registered with a rule (see :func:`gapgates.judge.rules.register`).
MEASUREMENTS: set[str] = set()


@dataclass(frozen=True, eq=False)
class Evidence:
    """Computed results, one attribute per measurement; None means it did not run.

    Attributes:
        quality: The data-quality result (Great Expectations).
        gap: The cross-validated gap.
        baseline: The dummy baseline on the same folds.
        holdout: The final model's scores on the untouched holdout.
        noise: Label noise flagged by cleanlab (with the noise-adjusted gap).
        shift: Train/holdout shift by adversarial validation.
        leakage: Copied holdout rows and target-leaking columns.
        champion: The production model scored on the same folds and holdout.
        trend: The gap across this model's past runs.
        noise_reference: The noise rate of the last accepted data (``[noise] max_rate_increase``).
        reference_drift: Per-column drift of the training rows from the production version's stored sample.
        learning_curve: The optional learning curve (informative: no rule reads it).
        training_curve: The optional training curve of an iterative model (informative: no rule reads it).
        segments: The weak segments of the out-of-fold predictions.
        classification: Confusion matrix, per-class scores, curves and calibration (classifiers).
        regression: Residuals and error by target quantile (regressors).
        data_issues: Training-data issues found by cleanlab's Datalab.
        measured: Values of measurements registered with a rule (``RuleSpec.compute``), by
            the rule's evidence name.
        errors: ``{evidence name: message}`` for the measurements that failed; every rule
            reading one of them fails.
    """

    quality: QualityResult | None = None
    gap: GapResult | None = None
    baseline: BaselineResult | None = None
    holdout: HoldoutResult | None = None
    noise: NoiseResult | None = None
    shift: ShiftResult | None = None
    leakage: LeakageResult | None = None
    champion: ChampionResult | None = None
    trend: TrendResult | None = None
    noise_reference: NoiseReference | None = None
    reference_drift: ReferenceDrift | None = None
    learning_curve: LearningCurve | None = None
    training_curve: TrainingCurve | None = None
    segments: SegmentResult | None = None
    classification: ClassificationEvidence | None = None
    regression: RegressionEvidence | None = None
    data_issues: DataIssues | None = None
    measured: Mapping[str, float | None] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        known = set(evidence_fields()) | MEASUREMENTS
        unknown = sorted(set(self.errors) - known) + sorted(set(self.measured) - MEASUREMENTS)
        if unknown:
            raise ValueError(f"Evidence keys must name a measurement ({', '.join(sorted(known))}). Got {unknown}.")
        object.__setattr__(self, "errors", MappingProxyType(dict(self.errors)))
        object.__setattr__(self, "measured", MappingProxyType(dict(self.measured)))

    def value(self, name: str) -> object | None:
        """The result recorded under an evidence name (a field, or a registered measurement)."""
        if name in evidence_fields():
            return getattr(self, name)
        return self.measured.get(name)


def evidence_fields() -> tuple[str, ...]:
    """The names of the typed measurements (the fields of :class:`Evidence` but ``measured`` and ``errors``)."""
    return tuple(f.name for f in dataclasses.fields(Evidence) if f.name not in {"measured", "errors"})


def register_measurement(name: str, *, registered: bool = True) -> None:
    """Declare (or, with ``registered=False``, withdraw) the evidence name of a rule's own measurement."""
    if name in evidence_fields():
        raise ValueError(f"A measurement cannot be named like an Evidence field. Got {name!r}.")
    (MEASUREMENTS.add if registered else MEASUREMENTS.discard)(name)


def measurement_names() -> tuple[str, ...]:
    """The evidence names of the registered measurements, sorted."""
    return tuple(sorted(MEASUREMENTS))
