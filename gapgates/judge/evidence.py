"""Everything the gate computed for one candidate: the input of :func:`gapgates.judge.rules.evaluate`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gapgates.compute.baseline import BaselineResult
from gapgates.compute.crossval import GapResult
from gapgates.compute.holdout import HoldoutResult

__all__ = ["Evidence"]


@dataclass(frozen=True, eq=False)
class Evidence:
    """Computed results, one attribute per step; None means the step did not run.

    Attributes:
        gap: The cross-validated gap.
        baseline: The dummy baseline on the same folds.
        holdout: Scores on the untouched holdout.
        noise: Label-noise result (label-noise issue).
        quality: Data-quality result (data-quality issue).
        shift: Train/holdout shift result.
        leakage: Leakage result.
        champion: Production model scored on the same folds.
        trend: Gap history of this model.
        errors: ``{step: message}`` for steps whose computation failed; their checks fail.
    """

    gap: GapResult | None = None
    baseline: BaselineResult | None = None
    holdout: HoldoutResult | None = None
    noise: Any = None
    quality: Any = None
    shift: Any = None
    leakage: Any = None
    champion: Any = None
    trend: Any = None
    errors: dict[str, str] = field(default_factory=dict)
