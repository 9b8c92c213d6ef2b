"""Unit: when an interval straddles its limit, which checks more repeats can decide, and the margin of a check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gapgates.compute.crossval import AdaptiveRepeats, CrossValidation, GapResult, MetricGap, Straddle
from gapgates.judge.checks import Check, CheckRepeats, Severity, Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy, Rule, parse_policy
from gapgates.judge.rules import evaluate, judge
from gapgates.judge.straddles import straddles, undecided


def gap_of(
    low: float,
    mean: float,
    high: float,
    *,
    train_mean: float = 1.0,
    metric: str = "accuracy",
    repeats: AdaptiveRepeats | None = None,
) -> GapResult:
    """A gap result with one metric whose interval is (low, mean, high)."""
    g = MetricGap(
        metric=metric,
        train=(train_mean,) * 5,
        test=(train_mean - mean,) * 5,
        train_mean=train_mean,
        test_mean=train_mean - mean,
        gap_mean=mean,
        gap_ci_low=low,
        gap_ci_high=high,
        relative_gap=mean / train_mean,
    )
    cv = CrossValidation(
        splits=[],
        estimators=(),
        classes=None,
        oof_proba=None,
        oof_pred=np.array([]),
        covered=np.array([], dtype=bool),
        fit_seconds=0.0,
    )
    return GapResult(metrics={metric: g}, classification=True, n_folds=5, confidence=0.95, cv=cv, repeats=repeats)


def policy(**gap: object) -> Policy:
    return parse_policy({"gap": gap})


# --- straddles: both sides of a ceiling and a floor -------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.008, 0.0507, True),  # the digits seed 0: upper bound just over 0.05
        (0.05, 0.06, True),  # low on the limit: still undecided
        (0.008, 0.05, False),  # high on the limit: the check passes (≤)
        (0.008, 0.0499, False),  # cleared
        (0.0501, 0.09, False),  # wholly above: a clear fail
        (math.nan, math.nan, False),
    ],
)
def test_a_ceiling_is_straddled_when_low_is_at_most_the_limit_and_high_above(low, high, expected):
    assert straddles(low, high, 0.05) is expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.85, 0.95, True),  # a floor of 0.9 with the lower bound under it
        (0.85, 0.90, True),  # high on the floor: still undecided
        (0.90, 0.95, False),  # low on the floor: passes (≥)
        (0.80, 0.89, False),  # wholly below: a clear fail
    ],
)
def test_a_floor_is_straddled_when_low_is_below_the_limit_and_high_at_least(low, high, expected):
    assert straddles(low, high, 0.9, at_most=False) is expected


# --- undecided: which gated checks more repeats can decide -------------------------------------------


def test_a_straddling_gap_with_its_mean_within_the_limit_is_undecided():
    found = undecided(Policy(), gap_of(0.008, 0.029, 0.0507))
    assert found == (Straddle(check="gap:accuracy", low=0.008, high=0.0507, limit=0.05),)


@pytest.mark.parametrize(
    ("low", "mean", "high"),
    [
        (0.008, 0.029, 0.0499),  # cleared: passes, nothing to decide
        (0.028, 0.074, 0.119),  # straddles, but the mean is above the limit: fails whatever the repeats
        (0.051, 0.07, 0.09),  # wholly above
    ],
)
def test_a_cleared_or_failing_gap_is_not_undecided(low, mean, high):
    assert undecided(Policy(), gap_of(low, mean, high)) == ()


def test_a_mean_on_the_limit_is_undecided_and_just_above_it_is_not():
    assert undecided(Policy(), gap_of(0.01, 0.05, 0.09))
    assert not undecided(Policy(), gap_of(0.01, 0.0501, 0.09))


def test_gate_on_mean_compares_the_estimate_and_spends_no_repeats():
    assert undecided(policy(gate_on="mean"), gap_of(0.008, 0.029, 0.0507)) == ()


def test_a_warn_only_or_switched_off_gap_rule_spends_no_repeats():
    assert undecided(policy(max_gap={"limit": 0.05, "severity": "warn"}), gap_of(0.008, 0.029, 0.0507)) == ()
    assert undecided(policy(severity="warn"), gap_of(0.008, 0.029, 0.0507)) == ()
    assert undecided(policy(max_gap=None), gap_of(0.008, 0.029, 0.0507)) == ()


def test_relative_gap_straddles_in_units_of_the_train_score():
    # train 0.8: relative interval [0.01, 0.09] around 0.05, relative limit 0.08 (the absolute gap rule is off)
    result = gap_of(0.008, 0.04, 0.072, train_mean=0.8)
    found = undecided(policy(max_relative_gap=0.08, max_gap=0.5), result)
    assert [s.check for s in found] == ["relative_gap:accuracy"]
    assert found[0].low == pytest.approx(0.01) and found[0].high == pytest.approx(0.09) and found[0].limit == 0.08
    assert undecided(policy(max_relative_gap=0.1, max_gap=0.5), result) == ()


# --- the margin: limit − value for a ceiling, value − limit for a floor --------------------------------


@pytest.mark.parametrize(
    ("value", "at_most", "margin", "status"),
    [
        (0.041, True, 0.009, Status.PASS),
        (0.0507, True, -0.0007, Status.FAIL),
        (0.05, True, 0.0, Status.PASS),
        (0.93, False, 0.03, Status.PASS),
        (0.88, False, -0.02, Status.FAIL),
    ],
)
def test_every_judged_check_carries_its_margin_on_both_sides_of_its_limit(value, at_most, margin, status):
    limit = 0.05 if at_most else 0.9
    check = judge("c", value, Rule(limit=limit), severity=Severity.BLOCK, at_most=at_most, what="Value")
    assert check.margin == pytest.approx(margin) and check.status is status


def test_a_value_that_could_not_be_computed_has_no_margin():
    assert judge("c", math.nan, Rule(limit=0.05), severity=Severity.BLOCK, at_most=True, what="V").margin is None


# --- checks say how many repeats were added and why ---------------------------------------------------


def _checks(result: GapResult, pol: Policy | None = None) -> dict[str, Check]:
    return {c.name: c for c in evaluate(pol or Policy(), Evidence(gap=result)).checks}


def test_a_check_whose_interval_straddled_says_how_many_repeats_were_added_and_why():
    first = Straddle("gap:accuracy", 0.0079, 0.0507, 0.05)
    repeats = AdaptiveRepeats(folds=5, configured=1, added=1, budget=4, straddled=(first,))
    check = _checks(gap_of(0.0185, 0.03, 0.0415, repeats=repeats))["gap:accuracy"]
    assert check.status is Status.PASS and check.margin == pytest.approx(0.0085)
    assert check.repeats == CheckRepeats(added=1, folds=5, budget=4, low=0.0079, high=0.0507, inconclusive=False)
    assert check.message.endswith("After 1 extra repeat of 5-fold: the first interval [0.0079, 0.0507] straddled the limit.")


def test_a_check_still_straddling_when_the_budget_is_spent_is_inconclusive_and_fails():
    first = Straddle("gap:accuracy", 0.0079, 0.0607, 0.05)
    repeats = AdaptiveRepeats(folds=5, configured=1, added=4, budget=4, straddled=(first,), unresolved=("gap:accuracy",))
    check = _checks(gap_of(0.02, 0.04, 0.055, repeats=repeats))["gap:accuracy"]
    assert check.status is Status.FAIL and check.margin == pytest.approx(-0.005)
    assert check.repeats.inconclusive and "Inconclusive: still straddling the limit after 4 extra repeats" in check.message


def test_a_check_that_did_not_straddle_has_no_repeats_note():
    repeats = AdaptiveRepeats(folds=5, configured=1, added=0, budget=4)
    check = _checks(gap_of(0.01, 0.02, 0.03, repeats=repeats))["gap:accuracy"]
    assert check.repeats is None and "repeat" not in check.message


def test_a_check_round_trips_through_json_with_margin_and_repeats():
    note = CheckRepeats(added=2, folds=5, budget=4, low=0.01, high=0.06, inconclusive=True)
    check = Check("gap:accuracy", Status.FAIL, 0.052, 0.05, "m", margin=-0.002, repeats=note)
    data = check.to_dict()
    assert data["margin"] == -0.002 and data["repeats"]["added"] == 2 and data["repeats"]["inconclusive"] is True
    assert Check.from_dict(data) == check
    plain = Check("x", Status.PASS, 1.0, 2.0, "m").to_dict()
    assert plain["margin"] is None and plain["repeats"] is None


# --- the budget in the policy, and the diagnosis of a spent one ---------------------------------------


def test_max_repeats_defaults_to_the_shipped_policy_and_accepts_0_to_20():
    from gapgates.judge.policy import DEFAULT_MAX_REPEATS, MAX_REPEATS, load_policy

    assert Policy().gap.max_repeats == load_policy().gap.max_repeats == DEFAULT_MAX_REPEATS == 4
    assert policy(max_repeats=0).gap.max_repeats == 0 and policy(max_repeats=MAX_REPEATS).gap.max_repeats == 20


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, r"\[gap\] The 'max_repeats' must be an integer between 0 and 20\. Got -1\."),
        (21, r"\[gap\] The 'max_repeats' must be an integer between 0 and 20\. Got 21\."),
        (2.5, r"'gap\.max_repeats' input should be a valid integer\. Got 2\.5\."),
        (True, r"'gap\.max_repeats' input should be a valid integer\. Got True\."),
    ],
)
def test_a_bad_max_repeats_is_refused_in_one_line(value, message):
    from gapgates.errors import PolicyError

    with pytest.raises(PolicyError, match=message):
        policy(max_repeats=value)


def test_a_spent_budget_is_diagnosed_inconclusive_and_a_clear_breach_overfit():
    from gapgates.judge.diagnosis import diagnose, mitigations

    first = Straddle("gap:accuracy", 0.0079, 0.0607, 0.05)
    spent = AdaptiveRepeats(folds=5, configured=1, added=4, budget=4, straddled=(first,), unresolved=("gap:accuracy",))
    result = gap_of(0.02, 0.04, 0.055, repeats=spent)
    decision = evaluate(Policy(), Evidence(gap=result))
    diagnosis = diagnose(Evidence(gap=result), decision)
    assert decision.outcome.value == "block" and diagnosis.label == "inconclusive" and diagnosis.also == ()
    assert diagnosis.mitigations == mitigations()["inconclusive"] and "after 4 extra repeats" in diagnosis.explanation
    on_fail = parse_policy({"decision": {"on_fail": "needs_approval"}})
    assert evaluate(on_fail, Evidence(gap=result)).outcome.value == "needs_approval"
    breached = gap_of(0.06, 0.07, 0.08, repeats=AdaptiveRepeats(folds=5, configured=1, added=0, budget=4))
    assert diagnose(Evidence(gap=breached), evaluate(Policy(), Evidence(gap=breached))).label == "overfit"
