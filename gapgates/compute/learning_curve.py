"""The optional learning curve: would more data narrow the gap?

Off by default (``--learning-curve`` / ``learning_curve = true``): it costs
``len(sizes) × folds`` extra fits, through ``sklearn.model_selection.learning_curve``
on the same folds as the gap pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.data.splits import Splits

__all__ = ["LearningCurve", "learning_curve"]

NARROWING = 0.01  # the gap must shrink by at least this over the last half of the curve


@dataclass(frozen=True)
class LearningCurve:
    """Mean train and test scores of the primary metric at growing training sizes.

    Attributes:
        metric: The scoring name.
        sizes: Training rows at each point.
        train: Mean train score at each size.
        test: Mean test score at each size.
        more_data_helps: Whether the gap is still narrowing and the test score still rising at the largest size.
        verdict: One sentence saying so, with the numbers.
    """

    metric: str
    sizes: tuple[int, ...]
    train: tuple[float, ...]
    test: tuple[float, ...]
    more_data_helps: bool
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``learning_curve`` section."""
        return {
            "metric": self.metric,
            "points": [
                {"rows": n, "train": round(a, 6), "test": round(b, 6), "gap": round(a - b, 6)}
                for n, a, b in zip(self.sizes, self.train, self.test, strict=True)
            ],
            "more_data_helps": self.more_data_helps,
            "verdict": self.verdict,
        }


def learning_curve(
    estimator: Any,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    splits: Splits,
    metric: str,
    fractions: Sequence[float] = (0.2, 0.4, 0.6, 0.8, 1.0),
    n_jobs: int | None = None,
) -> LearningCurve:
    """Refit the model on growing shares of each training fold and score it.

    Args:
        estimator: The unfitted estimator.
        X: Features.
        y: Target.
        splits: The gap pass's folds.
        metric: Primary scoring name.
        fractions: Shares of each training fold.
        n_jobs: Parallel fits.

    Returns:
        The curve and whether more data would likely narrow the gap.
    """
    from sklearn.model_selection import learning_curve as sk_learning_curve

    sizes, train, test = sk_learning_curve(
        estimator,
        X,
        y,
        cv=splits,
        scoring=metric,
        train_sizes=np.asarray(fractions),
        n_jobs=n_jobs,
        error_score="raise",
    )
    tr, te = train.mean(axis=1), test.mean(axis=1)
    gaps = tr - te
    half = len(gaps) // 2
    narrowing = float(gaps[half] - gaps[-1])
    rising = float(te[-1] - te[half])
    helps = narrowing >= NARROWING and rising > 0
    verdict = (
        f"From {sizes[half]} to {sizes[-1]} training rows the gap went from {gaps[half]:.3f} to {gaps[-1]:.3f} "
        f"and the test {metric} from {te[half]:.3f} to {te[-1]:.3f}: "
        + ("more data would likely narrow the gap further." if helps else "more data alone is unlikely to narrow the gap.")
    )
    return LearningCurve(
        metric=metric,
        sizes=tuple(int(s) for s in sizes),
        train=tuple(map(float, tr)),
        test=tuple(map(float, te)),
        more_data_helps=helps,
        verdict=verdict,
    )
