"""Gated intervals that straddle their limit: the checks more repeats of k-fold can still decide.

With ``gate_on = "upper"`` a gap check compares the upper bound of the gap's interval with
``max_gap`` (``relative_gap``: that bound over the train score, with ``max_relative_gap``). The
interval *straddles* the limit when ``low ≤ limit < high``: the check fails, but on the width of
the interval, and the fold seed moves that width across the limit. More repeats of k-fold on
fresh seeds narrow the interval around its estimate (the mean gap), so they can clear the limit
only while the estimate is at or below it. With the estimate above the limit the check fails
whatever the repeats: :func:`undecided` leaves it out, and no fit is spent on it.

Only values that are an interval's bound can straddle: with ``gate_on = "mean"`` a gap check
compares the estimate itself, and the floors (``min_test_score``, ``min_gain_over_baseline``)
compare mean scores, so they add no repeats. Only block-severity rules spend repeats: a rule
that only warns never changes the decision.

In the gap's contextual mode a gap over its limit is judged by its cost against the strong baseline
(:mod:`gapgates.measurements.gap`); a cost the folds cannot settle yet (``inconclusive``: better on average by
more than ``max_cost``, not significantly) is undecided too (:func:`undecided_costs`): more repeats narrow the
paired interval and decide between ``harmful`` (a block) and ``benign``. Only the references that make it
inconclusive count (:func:`gapgates.measurements.gap.costs`: by more than ``max_cost`` beyond ``cost_margin``
standard errors); a cost the margin leaves benign spends no repeat.
"""

from __future__ import annotations

from gapgates.compute.crossval import GapResult, Straddle
from gapgates.judge.checks import Severity
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy
from gapgates.judge.rules import all_rules, evaluate

__all__ = ["straddles", "undecided", "undecided_costs"]


def straddles(low: float, high: float, limit: float, *, at_most: bool = True) -> bool:
    """Whether an interval leaves a limit undecided.

    A ceiling (``at_most``: the check compares ``high`` with the limit) is straddled when
    ``low ≤ limit < high``; a floor (the check compares ``low``) when ``low < limit ≤ high``.
    NaN bounds straddle nothing.

    Args:
        low: Lower bound of the interval.
        high: Upper bound of the interval.
        limit: The policy limit.
        at_most: True for a ceiling (the value must be ≤ the limit), False for a floor.

    Returns:
        True when one bound passes the limit and the other does not, the compared one failing.

    Example:
        >>> straddles(0.008, 0.051, 0.05), straddles(0.008, 0.049, 0.05), straddles(0.06, 0.09, 0.05)
        (True, False, False)
    """
    if at_most:
        return low <= limit < high
    return low < limit <= high


def undecided(policy: Policy, result: GapResult) -> tuple[Straddle, ...]:
    """The gated checks of a gap that more repeats of k-fold can still decide.

    A check is undecided when its rule is on with severity ``block``, the value it compares is a
    bound of an interval (:attr:`~gapgates.judge.rules.Measured.interval`) that straddles the
    limit, and the interval's estimate is on the passing side of the limit.

    Args:
        policy: The policy the run is judged by.
        result: The cross-validated gap so far.

    Returns:
        One :class:`~gapgates.compute.crossval.Straddle` per undecided check, in rule order.
    """
    evidence = Evidence(gap=result)
    found: list[Straddle] = []
    for spec in all_rules():
        if spec.evidence != "gap" or spec.measure is None:
            continue
        if not spec.is_on(policy):
            continue
        try:
            measured = spec.measure(result, evidence, policy)
        except Exception:  # evaluate() fails this rule's check; it spends no repeats
            continue
        if isinstance(measured, str):
            continue
        for m in measured:
            rule, severity = spec.rule_of(policy, m.metric)
            if m.interval is None or rule is None or severity is not Severity.BLOCK:
                continue
            low, estimate, high = m.interval
            passing = estimate <= rule.limit if spec.at_most else estimate >= rule.limit
            if passing and straddles(low, high, rule.limit, at_most=spec.at_most):
                found.append(Straddle(check=m.check, low=float(low), high=float(high), limit=float(rule.limit)))
    return tuple(found)


def _reachable(low: float, mean: float, high: float, *, folds: int, most: int, ratio: float, confidence: float) -> bool:
    """Whether an interval ``[low, high]`` around ``mean`` over ``folds`` folds, narrowed to ``most`` folds (the same
    spread: the half-width scales with ``t · sqrt(1/J + n_test/n_train)``), would exclude 0."""
    import math

    from scipy import stats

    if folds < 2 or not all(math.isfinite(v) for v in (low, mean, high)):
        return False
    half = (high - low) / 2
    scale = stats.t.ppf((1 + confidence) / 2, most - 1) / stats.t.ppf((1 + confidence) / 2, folds - 1)
    return bool(mean > half * scale * math.sqrt((1 / most + ratio) / (1 / folds + ratio)))


def undecided_costs(
    policy: Policy, result: GapResult, strong: object | None, *, most_folds: int | None = None
) -> tuple[Straddle, ...]:
    """The gap checks over their limit whose cost against the strong baseline is still inconclusive
    (``[gap] mode = "contextual"``) and that more folds could still decide, as
    :class:`~gapgates.compute.crossval.Straddle` of the cost's interval against ``max_cost`` (named ``<check>:cost``).

    A cost is left out when, with the same estimate and spread, even ``most_folds`` folds (the repeat budget spent)
    would leave its interval around 0: no fit is spent on it.

    Args:
        policy: The policy the run is judged by.
        result: The cross-validated gap so far.
        strong: The strong baseline on the same folds (:class:`~gapgates.compute.baseline.StrongBaselineResult`),
            or None (nothing to decide).
        most_folds: The folds the run may reach (None: no limit on how far the interval may narrow).

    Returns:
        One straddle per undecided cost, in rule order.
    """
    from gapgates.measurements.gap import costs, gap_references

    if policy.gap.mode != "contextual" or strong is None:
        return ()
    evidence = Evidence(gap=result, strong_baseline=strong)
    rules = [spec for spec in all_rules() if spec.evidence == "gap" and spec.context is not None]
    found: list[Straddle] = []
    for check in evaluate(policy, evidence, rules=rules).checks:
        # memorising and established costs block either way; more folds may still make them significant (harmful):
        # the diagnosis then says the gap costs held-out score, not only that it trails a reference on average
        if check.regime not in ("inconclusive", "memorising", "established") or ":" not in check.name:
            continue
        metric = check.name.split(":", 1)[1]
        gap = result.metrics[metric].gap_mean
        margin = policy.gap.cost_margin
        counted = [r for r in gap_references(evidence, metric) if costs(r, max_cost=policy.gap.max_cost, gap=gap, margin=margin)]
        if not counted:
            continue
        costly = max(counted, key=lambda r: r.cost.mean)
        splits = result.cv.splits
        ratio = sum(len(te) for _, te in splits) / max(1, sum(len(tr) for tr, _ in splits))
        c = costly.cost
        most = most_folds if most_folds is not None else 10**6
        if not _reachable(
            c.low, c.mean, c.high, folds=result.n_folds, most=most, ratio=ratio, confidence=2 * result.confidence - 1
        ):
            continue
        found.append(Straddle(check=f"{check.name}:cost", low=costly.cost.low, high=costly.cost.high, limit=policy.gap.max_cost))
    return tuple(found)
