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

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "BaselineResult": "gapgates.baseline",
    "Check": "gapgates.checks",
    "CheckConfig": "gapgates.config",
    "ConfigError": "gapgates.errors",
    "DataError": "gapgates.errors",
    "Enforcement": "gapgates.enforce",
    "Decision": "gapgates.checks",
    "Diagnosis": "gapgates.diagnosis",
    "Evidence": "gapgates.evidence",
    "GapGatesError": "gapgates.errors",
    "GapResult": "gapgates.crossval",
    "History": "gapgates.history",
    "HoldoutResult": "gapgates.holdout",
    "IntegrityError": "gapgates.errors",
    "LeakageResult": "gapgates.leakage",
    "LearningCurve": "gapgates.learning",
    "LocalRegistry": "gapgates.registry",
    "MetricGap": "gapgates.crossval",
    "NoiseAdjustedGap": "gapgates.noise_gap",
    "NoiseResult": "gapgates.noise",
    "Outcome": "gapgates.checks",
    "Policy": "gapgates.policy",
    "PolicyError": "gapgates.errors",
    "PromotionBlocked": "gapgates.errors",
    "QualityResult": "gapgates.quality_result",
    "RegistryError": "gapgates.errors",
    "RunResult": "gapgates.runner",
    "Severity": "gapgates.checks",
    "ShiftResult": "gapgates.shift",
    "Status": "gapgates.checks",
    "adversarial_validation": "gapgates.shift",
    "baseline": "gapgates.baseline",
    "build_report": "gapgates.report",
    "check_quality": "gapgates.quality_gate",
    "diagnose": "gapgates.diagnosis",
    "enforce": "gapgates.enforce",
    "evaluate": "gapgates.decision",
    "find_leakage": "gapgates.leakage",
    "gap": "gapgates.crossval",
    "label_noise": "gapgates.noise",
    "learning_curve": "gapgates.learning",
    "load_policy": "gapgates.policy",
    "make_splits": "gapgates.splits",
    "noise_adjusted_gap": "gapgates.noise_gap",
    "open_registry": "gapgates.registry",
    "profile_suite": "gapgates.quality_gate",
    "publish": "gapgates.publish",
    "render_html": "gapgates.report_html",
    "run_check": "gapgates.runner",
    "validate_report": "gapgates.schema",
    "write_reports": "gapgates.report",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gapgates' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
