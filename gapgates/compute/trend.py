"""The gap trend: how the primary gap moved across the recent runs of the same model.

The *compute* half of the ``trend`` check (the *judge* half is
:func:`gapgates.judge.rules.trend_checks`). The widening is the change of a
least-squares line fitted through the last ``window`` past gaps and this run's
gap, from its first point to its last: one noisy run does not fire it, a steady
climb does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gapgates.history import History, RunRecord

__all__ = ["CHART_RUNS", "TrendResult", "gap_trend", "load_trend"]

#: How many past runs the report's history chart shows.
CHART_RUNS = 30


@dataclass(frozen=True)
class TrendResult:
    """The primary gap of this run against the recorded runs of the same model.

    Attributes:
        metric: The primary metric.
        window: How many past runs the trend is judged on (policy ``[trend] window``).
        past: Recorded runs with a gap for ``metric``, oldest first (up to :data:`CHART_RUNS`).
        current: This run's mean gap.
        increase: Widening of the fitted gap across the window and this run; None when fewer
            than ``window`` past runs are recorded.
        path: The history database.
    """

    metric: str
    window: int
    past: tuple[RunRecord, ...]
    current: float
    increase: float | None
    path: str

    @property
    def series(self) -> list[float]:
        """The gaps the increase was fitted on: the last ``window`` past runs, then this run."""
        return [float(g) for r in self.past[-self.window :] if (g := r.gaps[self.metric].gap) is not None] + [self.current]

    def to_dict(self) -> dict[str, Any]:
        """The report's ``history`` section (enough to draw the chart without the database)."""
        return {
            "path": self.path,
            "metric": self.metric,
            "window": self.window,
            "increase": self.increase,
            "runs": [
                {
                    "time": r.time,
                    "version": r.version,
                    "decision": r.decision,
                    "gap": r.gaps[self.metric].gap,
                    "gap_ci_low": r.gaps[self.metric].ci_low,
                    "gap_ci_high": r.gaps[self.metric].ci_high,
                }
                for r in self.past
            ],
        }


def _fitted_increase(gaps: Sequence[float]) -> float:
    x = np.arange(len(gaps), dtype=float)
    slope = np.polyfit(x, np.asarray(gaps, dtype=float), 1)[0]
    return float(slope * (len(gaps) - 1))


def gap_trend(past: Sequence[RunRecord], current: float, *, metric: str, window: int, path: str = "") -> TrendResult:
    """Judge-ready trend of one metric's gap.

    Args:
        past: Earlier runs of the model, oldest first.
        current: This run's mean gap of ``metric``.
        metric: The metric.
        window: How many past runs the trend needs and looks at.
        path: Where the runs came from (shown in the report).

    Returns:
        The trend; ``increase`` is None with fewer than ``window`` past runs.

    Example:
        >>> from gapgates.history import MetricRecord
        >>> def run(g): return RunRecord("t", "m", None, None, "promote", "acc", {"acc": MetricRecord(g, g, g)})
        >>> runs = [run(0.01), run(0.02)]
        >>> round(gap_trend(runs, 0.03, metric="acc", window=2).increase, 4)
        0.02
    """
    usable = tuple(r for r in past if metric in r.gaps and r.gaps[metric].gap is not None)[-CHART_RUNS:]
    result = TrendResult(metric=metric, window=window, past=usable, current=float(current), increase=None, path=path)
    if len(usable) < window:
        return result
    return TrendResult(
        metric=metric, window=window, past=usable, current=float(current), increase=_fitted_increase(result.series), path=path
    )


def load_trend(path: str | Path, *, model: str, metric: str, current: float, window: int) -> TrendResult:
    """Read the model's past runs from the history database and compute the trend.

    Raises:
        ConfigError: If the database cannot be opened.
    """
    past = History(path).runs(model=model, last=CHART_RUNS * 4, kind="gate")
    return gap_trend(past, current, metric=metric, window=window, path=str(path))
