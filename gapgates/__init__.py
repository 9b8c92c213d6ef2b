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
    "Evidence": "gapgates.evidence",
    "GapGatesError": "gapgates.errors",
    "GapResult": "gapgates.gap",
    "HoldoutResult": "gapgates.holdout",
    "IntegrityError": "gapgates.errors",
    "LocalRegistry": "gapgates.registry",
    "MetricGap": "gapgates.gap",
    "Outcome": "gapgates.checks",
    "Policy": "gapgates.policy",
    "PolicyError": "gapgates.errors",
    "PromotionBlocked": "gapgates.errors",
    "RegistryError": "gapgates.errors",
    "RunResult": "gapgates.runner",
    "Severity": "gapgates.checks",
    "Status": "gapgates.checks",
    "baseline": "gapgates.baseline",
    "build_report": "gapgates.report",
    "enforce": "gapgates.enforce",
    "evaluate": "gapgates.decision",
    "gap": "gapgates.gap",
    "load_policy": "gapgates.policy",
    "make_splits": "gapgates.splits",
    "open_registry": "gapgates.registry",
    "run_check": "gapgates.runner",
    "write_reports": "gapgates.report",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gapgates' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
