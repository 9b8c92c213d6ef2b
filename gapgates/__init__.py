"""gapgates: stop models that memorise their training data from reaching production.

The public API is imported lazily, so ``gapgates --help`` and
``import gapgates`` stay fast (scikit-learn loads on first use).

Example:
    >>> import gapgates
    >>> gapgates.Outcome.PROMOTE.value
    'promote'
"""

from __future__ import annotations

import importlib
from typing import Any


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gapgates")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "0+unknown"


__version__ = _version()

_EXPORTS: dict[str, str] = {
    "BaselineResult": "gapgates.compute.baseline",
    "Check": "gapgates.judge.checks",
    "CheckConfig": "gapgates.config",
    "ConfigError": "gapgates.errors",
    "DataError": "gapgates.errors",
    "Enforcement": "gapgates.enforcement",
    "Decision": "gapgates.judge.checks",
    "Diagnosis": "gapgates.judge.diagnosis",
    "Evidence": "gapgates.judge.evidence",
    "GapGatesError": "gapgates.errors",
    "GapResult": "gapgates.compute.crossval",
    "History": "gapgates.history",
    "HoldoutResult": "gapgates.compute.holdout",
    "IntegrityError": "gapgates.errors",
    "LeakageResult": "gapgates.compute.leakage",
    "LearningCurve": "gapgates.compute.learning_curve",
    "LocalRegistry": "gapgates.registry",
    "MetricGap": "gapgates.compute.crossval",
    "MetricLimits": "gapgates.judge.policy",
    "NoiseAdjustedGap": "gapgates.compute.noise_adjusted",
    "NoiseReference": "gapgates.compute.noise_reference",
    "NoiseResult": "gapgates.compute.noise",
    "Outcome": "gapgates.judge.checks",
    "Policy": "gapgates.judge.policy",
    "PolicyError": "gapgates.errors",
    "ProductionMoved": "gapgates.errors",
    "PromotionBlocked": "gapgates.errors",
    "QualityResult": "gapgates.quality.result",
    "RegistryError": "gapgates.errors",
    "RunBlocked": "gapgates.errors",
    "RunResult": "gapgates.pipeline.steps",
    "Severity": "gapgates.judge.checks",
    "ShiftResult": "gapgates.compute.shift",
    "Status": "gapgates.judge.checks",
    "UserCodeError": "gapgates.errors",
    "adversarial_validation": "gapgates.compute.shift",
    "baseline": "gapgates.compute.baseline",
    "build_report": "gapgates.report.build",
    "check_quality": "gapgates.quality.gate",
    "diagnose": "gapgates.judge.diagnosis",
    "enforce": "gapgates.enforcement",
    "evaluate": "gapgates.judge.rules",
    "find_leakage": "gapgates.compute.leakage",
    "gap": "gapgates.compute.crossval",
    "label_noise": "gapgates.compute.noise",
    "learning_curve": "gapgates.compute.learning_curve",
    "load_policy": "gapgates.judge.policy",
    "make_splits": "gapgates.data.splits",
    "noise_adjusted_gap": "gapgates.compute.noise_adjusted",
    "open_registry": "gapgates.registry",
    "profile_suite": "gapgates.quality.gate",
    "publish": "gapgates.publishing",
    "render_html": "gapgates.report.html",
    "run_check": "gapgates.pipeline.definition",
    "run_gate": "gapgates.gate",
    "GateState": "gapgates.gate",
    "Approval": "gapgates.enforcement",
    "RuleSpec": "gapgates.judge.rules",
    "Measured": "gapgates.judge.rules",
    "register_rule": "gapgates.judge.rules",
    "validate_report": "gapgates.report.schema",
    "Regime": "gapgates.compute.sweep",
    "SweepResult": "gapgates.pipeline.sweep",
    "label_regimes": "gapgates.compute.sweep",
    "parse_sweep": "gapgates.compute.sweep",
    "run_sweep": "gapgates.pipeline.sweep",
    "validate_sweep": "gapgates.report.schema",
    "TrainingCurve": "gapgates.compute.training_curve",
    "stopping_point": "gapgates.compute.training_curve",
    "training_curve": "gapgates.compute.training_curve",
    "write_reports": "gapgates.report.build",
    "run_monitor": "gapgates.monitor",
    "monitor_report": "gapgates.monitor",
    "publish_monitor": "gapgates.monitor",
    "MonitorResult": "gapgates.monitor",
    "MonitorOutcome": "gapgates.judge.monitor",
    "validate_monitor": "gapgates.report.schema",
    "build_digest": "gapgates.report.digest",
    "write_digest": "gapgates.report.digest",
    "validate_digest": "gapgates.report.schema",
    "Segment": "gapgates.compute.segments",
    "SegmentResult": "gapgates.compute.segments",
    "weak_segments": "gapgates.compute.segments",
    "ClassificationEvidence": "gapgates.compute.classification",
    "RegressionEvidence": "gapgates.compute.classification",
    "classification_evidence": "gapgates.compute.classification",
    "regression_evidence": "gapgates.compute.classification",
    "DataIssues": "gapgates.compute.datalab",
    "data_issues": "gapgates.compute.datalab",
    "Measurement": "gapgates.measurements",
    "Section": "gapgates.measurements",
    "Diagnoser": "gapgates.measurements",
    "Table": "gapgates.measurements",
    "Context": "gapgates.measurements",
    "Incomplete": "gapgates.measurements",
    "register_measurement": "gapgates.measurements",
}

#: Exports whose name differs from the name in their module.
_ALIASES = {"register_rule": "register", "register_measurement": "register"}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), _ALIASES.get(name, name))
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gapgates' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
