"""Every policy rule on both sides of its limit, plus the decision logic."""

import math

import pytest

from gapgates.compute.baseline import BaselineResult
from gapgates.compute.crossval import CrossValidation, GapResult, summarize_gap
from gapgates.compute.holdout import HoldoutResult
from gapgates.judge.checks import Check, Decision, Outcome, Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import parse_policy
from gapgates.judge.rules import REGISTRY, Measured, RuleSpec, evaluate


def make_gap(train, test, metric="accuracy"):
    g = summarize_gap(metric, train, test, n_train=80, n_test=20)
    cv = CrossValidation(splits=[], estimators=(), classes=None, oof_proba=None, oof_pred=None, covered=None, fit_seconds=0.0)
    return GapResult(metrics={metric: g}, classification=True, n_folds=len(train), confidence=0.95, cv=cv)


# mean gap 0.10 with a small spread: upper bound ~0.13
GAP10 = make_gap([1.0, 1.0, 1.0, 1.0, 1.0], [0.89, 0.91, 0.90, 0.88, 0.92])


def check(decision, name):
    return next(c for c in decision.checks if c.name == name)


@pytest.mark.parametrize(("limit", "status"), [(0.09, Status.FAIL), (0.11, Status.PASS)])
def test_max_gap_on_mean(limit, status):
    policy = parse_policy({"gap": {"max_gap": limit, "gate_on": "mean"}})
    c = check(evaluate(policy, Evidence(gap=GAP10)), "gap:accuracy")
    assert c.status is status
    assert c.value == pytest.approx(0.10)


def test_max_gap_on_upper_bound_is_stricter_than_on_mean():
    upper = GAP10.primary.gap_ci_high
    assert upper > 0.11
    between = parse_policy({"gap": {"max_gap": 0.11, "gate_on": "upper"}})
    assert check(evaluate(between, Evidence(gap=GAP10)), "gap:accuracy").status is Status.FAIL
    above = parse_policy({"gap": {"max_gap": round(upper + 0.01, 3), "gate_on": "upper"}})
    assert check(evaluate(above, Evidence(gap=GAP10)), "gap:accuracy").status is Status.PASS


@pytest.mark.parametrize(("limit", "status"), [(0.09, Status.FAIL), (0.11, Status.PASS)])
def test_max_relative_gap(limit, status):
    policy = parse_policy({"gap": {"max_gap": 1.0, "max_relative_gap": limit, "gate_on": "mean"}})
    c = check(evaluate(policy, Evidence(gap=GAP10)), "relative_gap:accuracy")
    assert c.status is status
    assert c.value == pytest.approx(0.10)


@pytest.mark.parametrize(("limit", "status"), [(0.91, Status.FAIL), (0.89, Status.PASS)])
def test_min_test_score(limit, status):
    policy = parse_policy({"gap": {"max_gap": 1.0}, "performance": {"min_test_score": limit}})
    assert check(evaluate(policy, Evidence(gap=GAP10)), "min_test_score").status is status


@pytest.mark.parametrize(("limit", "status"), [(0.31, Status.FAIL), (0.29, Status.PASS)])
def test_min_gain_over_baseline(limit, status):
    base = BaselineResult(model="dummy", test_mean={"accuracy": 0.6}, train_mean={"accuracy": 0.6})
    policy = parse_policy({"gap": {"max_gap": 1.0}, "performance": {"min_gain_over_baseline": limit}})
    c = check(evaluate(policy, Evidence(gap=GAP10, baseline=base)), "gain_over_baseline")
    assert c.status is status
    assert c.value == pytest.approx(0.30)


def test_gain_over_baseline_is_skipped_without_baseline_and_does_not_block():
    decision = evaluate(parse_policy({"gap": {"max_gap": 1.0}}), Evidence(gap=GAP10))
    assert check(decision, "gain_over_baseline").status is Status.SKIPPED
    assert decision.outcome is Outcome.PROMOTE


@pytest.mark.parametrize(("limit", "status"), [(0.14, Status.FAIL), (0.16, Status.PASS)])
def test_holdout_gap_uses_max_gap(limit, status):
    held = HoldoutResult(rows=50, train={"accuracy": 0.99}, test={"accuracy": 0.84})
    policy = parse_policy({"gap": {"max_gap": limit, "gate_on": "mean"}})
    c = check(evaluate(policy, Evidence(gap=GAP10, holdout=held)), "holdout_gap:accuracy")
    assert c.status is status
    assert c.value == pytest.approx(0.15)


def test_warn_severity_turns_fail_into_warn_and_promotes():
    policy = parse_policy({"gap": {"max_gap": {"limit": 0.01, "severity": "warn"}}})
    decision = evaluate(policy, Evidence(gap=GAP10))
    assert check(decision, "gap:accuracy").status is Status.WARN
    assert decision.outcome is Outcome.PROMOTE
    assert decision.reasons and "limit 0.01" in decision.reasons[0]


def test_section_warn_severity():
    policy = parse_policy({"gap": {"max_gap": 0.01, "severity": "warn"}})
    assert evaluate(policy, Evidence(gap=GAP10)).outcome is Outcome.PROMOTE


@pytest.mark.parametrize(("on_fail", "outcome"), [("block", Outcome.BLOCK), ("needs_approval", Outcome.NEEDS_APPROVAL)])
def test_on_fail_sets_the_outcome(on_fail, outcome):
    policy = parse_policy({"gap": {"max_gap": 0.01}, "decision": {"on_fail": on_fail}})
    decision = evaluate(policy, Evidence(gap=GAP10))
    assert decision.outcome is outcome
    assert not decision.allows_promotion


def test_nan_value_fails_instead_of_passing():
    nan_gap = make_gap([1.0, 1.0], [math.nan, 0.9])
    decision = evaluate(parse_policy({"gap": {"max_gap": 0.5, "gate_on": "mean"}}), Evidence(gap=nan_gap))
    assert check(decision, "gap:accuracy").status is Status.FAIL
    assert decision.outcome is Outcome.BLOCK


def test_missing_gap_blocks():
    decision = evaluate(parse_policy({}), Evidence())
    assert decision.outcome is Outcome.BLOCK
    assert check(decision, "gap").status is Status.FAIL


def test_a_step_that_errored_fails_its_check():
    decision = evaluate(parse_policy({"gap": {"max_gap": 1.0}}), Evidence(gap=GAP10, errors={"baseline": "boom"}))
    c = check(decision, "gain_over_baseline")
    assert c.status is Status.FAIL and "boom" in c.message
    assert decision.outcome is Outcome.BLOCK


def test_a_misspelt_error_key_is_refused_when_the_evidence_is_built():
    with pytest.raises(ValueError, match=r"Evidence keys must name a measurement.*'performance'"):
        Evidence(gap=GAP10, errors={"performance": "boom"})
    with pytest.raises(ValueError, match="'rows'"):
        Evidence(measured={"rows": 1.0})  # no rule registered a measurement named 'rows'


def test_a_rule_that_raises_fails(monkeypatch):
    def broken(value, evidence, policy):
        raise RuntimeError("bug in rule")

    monkeypatch.setitem(REGISTRY, "broken", RuleSpec("broken", "gap", "gap.max_gap", broken))
    decision = evaluate(parse_policy({"gap": {"max_gap": 1.0}}), Evidence(gap=GAP10))
    assert check(decision, "broken").status is Status.FAIL
    assert decision.outcome is Outcome.BLOCK


def test_a_rule_is_off_when_its_policy_limit_is_none(monkeypatch):
    def measure(value, evidence, policy):
        return [Measured("relative", 0.9, "Relative gap")]

    policy = parse_policy({"gap": {"max_gap": 1.0}})
    decision = evaluate(policy, Evidence(gap=GAP10), rules=[RuleSpec("rel", "gap", "gap.max_relative_gap", measure)])
    assert decision.checks == ()


def test_decision_json_round_trip():
    decision = evaluate(parse_policy({"gap": {"max_gap": 0.01}}), Evidence(gap=GAP10))
    data = decision.to_dict()
    assert data["outcome"] == "block"
    rebuilt = Decision(Outcome(data["outcome"]), tuple(Check.from_dict(c) for c in data["checks"]))
    assert rebuilt == decision
