"""The final model on the untouched holdout (``references`` step, with ``--holdout`` or ``--holdout-fraction``).

Rule ``holdout_gap`` (``[gap] max_gap`` on train − holdout, per metric). The holdout gap appears in the gap
table of the reports (see :mod:`gapgates.measurements.gap`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapgates.judge.checks import Measured, RuleSpec
from gapgates.measurements.base import Context, Incomplete, Measurement, Section

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.evidence import Evidence
    from gapgates.judge.policy import Policy

__all__ = ["HOLDOUT"]


def _compute(ctx: Context) -> Any:
    """The final model's scores on the holdout; invalid outputs keep the scores and fail the holdout rules."""
    from gapgates.compute.holdout import score_holdout
    from gapgates.data.guard import output_problems

    prep = ctx.prep
    if prep.holdout is None or ctx.model is None:
        return None
    held = score_holdout(ctx.model, prep.train.X, prep.train.y, prep.holdout.X, prep.holdout.y, scoring=prep.metrics)
    invalid = output_problems([ctx.model])
    if invalid:  # the holdout rules fail; the report names the output
        more = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
        raise Incomplete(f"the final model's outputs are invalid: {invalid[0]}{more}", held)
    return held


def _holdout_gaps(held: Any, ev: Evidence, policy: Policy) -> list[Measured]:
    return [Measured(f"holdout_gap:{m}", v, f"Holdout {m} gap (train − holdout)", metric=m) for m, v in held.gap.items()]


HOLDOUT = Measurement(
    name="holdout",
    step="references",
    compute=_compute,
    failure="the final model could not be scored on the holdout",
    rules=(RuleSpec("holdout_gap", "holdout", "gap.max_gap", _holdout_gaps, missing=None),),
    section=Section(
        keys=("holdout",),
        required=("holdout",),
        json=lambda ev: {"holdout": None if ev.holdout is None else ev.holdout.to_dict()},
        schema="holdout.json",
    ),
)
