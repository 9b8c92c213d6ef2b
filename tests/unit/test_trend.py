"""The gap trend (compute) and the `trend` check (judge), on both sides of the limit (real runs: tests/integration)."""

from __future__ import annotations

import pytest

from gapgates.compute.trend import gap_trend
from gapgates.history import MetricRecord, RunRecord
from gapgates.judge.checks import Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import parse_policy
from gapgates.judge.rules import evaluate, rule


def trend_checks(policy, evidence):
    """The checks of the registry's ``trend`` rule alone."""
    return list(evaluate(policy, evidence, rules=[rule("trend")]).checks)


def _runs(gaps: list[float], metric: str = "accuracy") -> list[RunRecord]:
    return [
        RunRecord(f"t{i}", "m", None, None, "promote", metric, {metric: MetricRecord(g, g - 0.01, g + 0.01)})
        for i, g in enumerate(gaps)
    ]


WIDENING = [0.01, 0.02, 0.03, 0.04, 0.05]  # then this run: 0.06
FLAT = [0.03, 0.031, 0.029, 0.03, 0.031]


def _policy(limit: float = 0.02, severity: str = "block", window: int = 5):
    return parse_policy({"trend": {"max_gap_increase": {"limit": limit, "severity": severity}, "window": window}})


def _check(past: list[float], current: float, **policy):
    pol = _policy(**policy)
    trend = gap_trend(_runs(past), current, metric="accuracy", window=pol.trend.window)
    (check,) = trend_checks(pol, Evidence(trend=trend))
    return check


def test_widening_series_fires_and_flat_stays_quiet():
    fired = _check(WIDENING, 0.06)
    assert fired.status is Status.FAIL and fired.value == pytest.approx(0.05)
    assert "Widening of the accuracy gap across the last 6 runs is 0.05" in fired.message
    quiet = _check(FLAT, 0.03)
    assert quiet.status is Status.PASS and abs(quiet.value) < 0.005


def test_both_sides_of_the_limit_and_severity():
    assert _check(WIDENING, 0.06, limit=0.051).status is Status.PASS
    assert _check(WIDENING, 0.06, limit=0.049).status is Status.FAIL
    assert _check(WIDENING, 0.06, limit=0.049, severity="warn").status is Status.WARN


def test_one_noisy_old_run_does_not_fire():
    assert _check([0.03, 0.03, 0.03, 0.03, 0.03], 0.045).status is Status.PASS  # fitted rise 0.0107
    assert _check([0.03, 0.03, 0.03, 0.03, 0.03], 0.10).status is Status.FAIL  # a real jump still does


def test_only_the_last_window_runs_count():
    assert _check([0.5, 0.4, *FLAT], 0.03).status is Status.PASS
    assert gap_trend(_runs([0.5, 0.4, *FLAT]), 0.03, metric="accuracy", window=5).series == [*FLAT, 0.03]


def test_fewer_runs_than_window_is_skipped_with_the_reason():
    check = _check(WIDENING[:3], 0.06)
    assert check.status is Status.SKIPPED and check.value is None
    assert "Only 3 earlier run(s) of this model are recorded; the gap trend needs 5." == check.message
    assert _check(WIDENING[:3], 0.06, window=3).status is Status.FAIL


def test_runs_without_the_metric_are_ignored():
    past = _runs(WIDENING) + _runs([0.9], metric="roc_auc")
    assert len(gap_trend(past, 0.06, metric="accuracy", window=5).past) == 5


def test_no_rule_no_check_and_no_history_skipped():
    trend = gap_trend(_runs(WIDENING), 0.06, metric="accuracy", window=5)
    assert trend_checks(parse_policy({}), Evidence(trend=trend)) == []
    (check,) = trend_checks(_policy(), Evidence())
    assert check.status is Status.SKIPPED and "No run history is configured" in check.message


def test_trend_rule_is_in_the_decision():
    pol = _policy()
    decision = evaluate(pol, Evidence(trend=gap_trend(_runs(WIDENING), 0.06, metric="accuracy", window=5)))
    assert any(c.name == "trend" and c.status is Status.FAIL for c in decision.checks)
    decision = evaluate(pol, Evidence(errors={"trend": "history unreadable"}))
    (check,) = [c for c in decision.checks if c.name == "trend"]
    assert check.status is Status.FAIL and "history unreadable" in check.message
