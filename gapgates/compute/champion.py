"""Champion vs challenger: the production model scored on the candidate's folds and holdout.

The champion is *not* refit: it is the production model exactly as stored (it
was fit on older data), loaded from the registry after its checksum is
verified, and scored on each fold's test rows and on the holdout the candidate
is judged on. ``[champion] max_regression`` compares the primary metric on the
holdout when there is one (both final models on the same untouched rows),
otherwise the mean over the folds' test rows (the candidate's fold models vs
the champion on the same rows). ``max_gap_increase`` compares the candidate's
mean primary gap with the gap recorded when the champion itself was gated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gapgates.data.scoring import resolve_scoring
from gapgates.data.splits import Splits

__all__ = ["ChampionResult", "no_champion", "score_champion"]


@dataclass(frozen=True)
class ChampionResult:
    """The production model's scores on the candidate's evaluation rows.

    Attributes:
        version: Production version, or None when there is none.
        metric: The primary metric.
        test: The champion's score on each fold's test rows.
        test_mean: Their mean.
        holdout: The champion's score on the holdout, or None without a holdout.
        recorded_gap: The champion's mean primary gap recorded when it was gated, if any.
        reason: Why there is no comparison (no registry, no production model yet).
    """

    version: str | None
    metric: str
    test: tuple[float, ...] = ()
    test_mean: float = math.nan
    holdout: float | None = None
    recorded_gap: float | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``champion`` section."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {
            "version": self.version,
            "metric": self.metric,
            "test": [num(v) for v in self.test],
            "test_mean": num(self.test_mean),
            "holdout": num(self.holdout),
            "recorded_gap": num(self.recorded_gap),
            "reason": self.reason,
        }


def no_champion(metric: str, reason: str) -> ChampionResult:
    """A result saying there is nothing to compare with, and why."""
    return ChampionResult(version=None, metric=metric, reason=reason)


def score_champion(
    model: Any,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    splits: Splits,
    metric: str,
    version: str,
    recorded_gap: float | None = None,
    holdout: tuple[pd.DataFrame, pd.Series] | None = None,
) -> ChampionResult:
    """Score the (already fitted) champion on every fold's test rows and on the holdout.

    Args:
        model: The loaded production model.
        X: Training features the candidate was cross-validated on.
        y: Their target.
        splits: The candidate's ``(train_rows, test_rows)`` folds.
        metric: The primary scoring name.
        version: The production version.
        recorded_gap: The champion's recorded mean primary gap.
        holdout: ``(X, y)`` of the holdout, if any.

    Returns:
        The champion's scores.
    """
    scorer = resolve_scoring([metric], model)[metric]
    test = tuple(float(scorer(model, X.iloc[rows], y.iloc[rows])) for _, rows in splits)
    held = None if holdout is None else float(scorer(model, holdout[0], holdout[1]))
    return ChampionResult(
        version=version,
        metric=metric,
        test=test,
        test_mean=sum(test) / len(test),
        holdout=held,
        recorded_gap=recorded_gap,
    )
