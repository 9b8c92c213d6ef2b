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
    "Decision": "gapgates.checks",
    "Evidence": "gapgates.evidence",
    "GapGatesError": "gapgates.errors",
    "GapResult": "gapgates.crossval",
    "History": "gapgates.history",
    "HoldoutResult": "gapgates.holdout",
    "IntegrityError": "gapgates.errors",
    "MetricGap": "gapgates.crossval",
    "Outcome": "gapgates.checks",
    "Policy": "gapgates.policy",
    "PolicyError": "gapgates.errors",
    "PromotionBlocked": "gapgates.errors",
    "QualityResult": "gapgates.quality_result",
    "RegistryError": "gapgates.errors",
    "RunResult": "gapgates.runner",
    "Severity": "gapgates.checks",
    "Status": "gapgates.checks",
    "baseline": "gapgates.baseline",
    "build_report": "gapgates.report",
    "check_quality": "gapgates.quality_gate",
    "evaluate": "gapgates.decision",
    "gap": "gapgates.crossval",
    "load_policy": "gapgates.policy",
    "make_splits": "gapgates.splits",
    "publish": "gapgates.publish",
    "render_html": "gapgates.report_html",
    "profile_suite": "gapgates.quality_gate",
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
