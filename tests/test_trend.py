"""The gap trend (compute) and the `trend` check (judge), on both sides of the limit."""

from __future__ import annotations

import pytest
from report_fixtures import load, real_run

from gapgates.compute.trend import gap_trend
from gapgates.errors import ConfigError
from gapgates.history import History, MetricRecord, RunRecord
from gapgates.judge.checks import Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import parse_policy
from gapgates.judge.rules import REGISTRY, evaluate


def trend_checks(policy, evidence):
    """The checks of the registry's ``trend`` rule alone."""
    return list(evaluate(policy, evidence, rules=[REGISTRY["trend"]]).checks)


def _runs(gaps: list[float], metric: str = "accuracy") -> list[RunRecord]:
    return [RunRecord(f"t{i}", "m", None, None, "promote", metric, {metric: MetricRecord(g, g - 0.01, g + 0.01)})
            for i, g in enumerate(gaps)]


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


def _seed(path, model: str, gaps: list[float]) -> None:
    db = History(path)
    for i, g in enumerate(gaps):
        db.add(RunRecord(f"2026-01-0{i + 1}T00:00:00+00:00", model, None, None, "promote", "accuracy",
                         {"accuracy": MetricRecord(g, g, g)}))


def test_end_to_end_a_real_run_judges_its_recorded_history(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[gap]\nmax_gap = 1.0\n[noise]\nmax_rate = 1.0\n[trend]\nmax_gap_increase = 0.05\nwindow = 3\n",
                      encoding="utf-8")
    history = tmp_path / "h.sqlite"
    # the unbounded tree's gap on this data is ~0.3: after a flat ~0.0 history that is a widening; after ~0.3 it is flat
    _seed(history, "widening", [0.0, 0.0, 0.0])
    report = load(real_run(tmp_path, name="widening", policy=policy, history=history))
    gap = report["gap"]["accuracy"]["gap_mean"]
    assert gap > 0.2
    trend = next(c for c in report["checks"] if c["name"] == "trend")
    assert trend["status"] == "fail" and report["decision"] == "block"
    assert len(report["history"]["runs"]) == 3 and report["history"]["increase"] == pytest.approx(trend["value"])
    _seed(history, "flat", [gap] * 3)
    report = load(real_run(tmp_path, name="flat", policy=policy, history=history))
    trend = next(c for c in report["checks"] if c["name"] == "trend")
    assert trend["status"] == "pass" and report["decision"] == "promote"
    assert len(History(history).runs(model="flat")) == 4  # the run itself was recorded


def test_a_history_that_is_not_a_gapgates_history_is_refused_before_any_fit(tmp_path):
    from conftest import noisy_classification

    from gapgates.config import make_config
    from gapgates.pipeline.definition import run_check

    data = tmp_path / "d.csv"
    noisy_classification(n=200).to_csv(data, index=False)
    broken = tmp_path / "not-a-db.sqlite"
    broken.write_text("garbage " * 200, encoding="utf-8")
    config = make_config({"data": data, "target": "label", "model": "sklearn.linear_model.LogisticRegression",
                          "folds": 3, "history": broken})
    before = broken.read_bytes()
    # the run would record itself there: a file that is not a gapgates history is refused before any fit
    for policy in ({"trend": {"max_gap_increase": 0.05}}, {}):
        with pytest.raises(ConfigError, match="is not a gapgates history"):
            run_check(config, policy=parse_policy(policy))
    assert broken.read_bytes() == before
