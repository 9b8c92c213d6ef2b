"""The monitor's decision rule (gapgates.judge.monitor): both sides of every limit, severities, bounds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gapgates.compute.drift import ColumnDrift, DriftResult
from gapgates.compute.production import ProductionScore
from gapgates.compute.shift import ShiftResult
from gapgates.errors import PolicyError
from gapgates.judge.monitor import MONITOR_RULES, MonitorEvidence, MonitorOutcome, decide
from gapgates.judge.policy import MonitorPolicy, parse_policy


def _drift(auc: float = 0.5, drifted: tuple[bool, ...] = (False, False)) -> DriftResult:
    columns = tuple(ColumnDrift(f"c{i}", "ks", 0.1, 0.001 if d else 0.5, 0.0, d) for i, d in enumerate(drifted))
    return DriftResult(ShiftResult(auc, (), 100, 0.0), columns, alpha=0.01, reference_rows=50, fresh_rows=50)


def _evidence(fresh: float = 0.90, low: float = 0.88, high: float = 0.92, **drift) -> MonitorEvidence:
    return MonitorEvidence(
        scores=(ProductionScore("accuracy", fresh, low, high, "wilson", promoted=0.93),), drift=_drift(**drift)
    )


def test_the_rules_are_data_one_per_monitor_limit():
    assert [r.limit for r in MONITOR_RULES] == [
        "max_production_gap",
        "max_drift_auc",
        "max_drifted_share",
        "max_estimated_gap",
        "max_estimate_ece",
        "max_support_auc",
    ]
    assert all(hasattr(MonitorPolicy(), r.limit) for r in MONITOR_RULES)


@pytest.mark.parametrize(("fresh", "outcome"), [(0.89, MonitorOutcome.OK), (0.87, MonitorOutcome.RETRAIN)])
def test_the_production_gap_on_both_sides_of_its_limit(fresh, outcome):
    decision = decide(_evidence(fresh, fresh - 0.02, fresh + 0.02), MonitorPolicy(max_production_gap=0.05))
    assert decision.outcome is outcome
    check = decision.checks[0]
    assert check.name == "production_gap:accuracy" and check.value == pytest.approx(0.93 - fresh)


@pytest.mark.parametrize(("gate_on", "value"), [("mean", 0.04), ("lower", 0.01), ("upper", 0.07)])
def test_gate_on_picks_the_mean_or_a_bound_of_the_gap_interval(gate_on, value):
    decision = decide(_evidence(0.89, 0.86, 0.92), MonitorPolicy(gate_on=gate_on))
    assert decision.checks[0].value == pytest.approx(value)
    assert decision.outcome is (MonitorOutcome.RETRAIN if value > 0.05 else MonitorOutcome.OK)


@pytest.mark.parametrize(("auc", "outcome"), [(0.74, MonitorOutcome.OK), (0.76, MonitorOutcome.RETRAIN)])
def test_the_drift_auc_on_both_sides_of_its_limit(auc, outcome):
    assert decide(_evidence(auc=auc), MonitorPolicy()).outcome is outcome


def test_drifted_columns_warn_by_default_and_retrain_with_block_severity():
    ev = _evidence(drifted=(True, True))
    warned = decide(ev, MonitorPolicy())
    assert warned.outcome is MonitorOutcome.WARN and "2 of 2" in warned.reasons[0]
    assert decide(_evidence(drifted=(True, False)), MonitorPolicy()).outcome is MonitorOutcome.OK  # 0.5 ≤ 0.5
    strict = MonitorPolicy(max_drifted_share={"limit": 0.5, "severity": "block"})
    assert decide(ev, strict).outcome is MonitorOutcome.RETRAIN


def test_a_score_that_could_not_be_computed_retrains_and_a_rule_turned_off_is_not_checked():
    nan = float("nan")
    ev = replace(_evidence(), scores=(ProductionScore("roc_auc", nan, nan, nan, "bootstrap", promoted=0.9),))
    decision = decide(ev, MonitorPolicy())
    assert decision.outcome is MonitorOutcome.RETRAIN and "could not be computed" in decision.reasons[0]
    off = decide(_evidence(auc=0.99), MonitorPolicy(max_drift_auc=None))
    assert off.outcome is MonitorOutcome.OK and "drift_auc" not in {c.name for c in off.checks}


def test_invalid_model_outputs_retrain():
    ev = replace(_evidence(), output_problems=("predict_proba of the production model: 3 rows are NaN",))
    decision = decide(ev, MonitorPolicy())
    assert decision.outcome is MonitorOutcome.RETRAIN and "outputs on the fresh rows are invalid" in decision.reasons[0]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("max_drift_auc = 1.5", "'max_drift_auc' limit must be a number between 0 and 1. Got 1.5."),
        ("max_production_gap = -0.1", "'max_production_gap' limit must be a number between 0 and infinity"),
        ("confidence = 1.0", "'confidence' must be a number strictly between 0 and 1"),
        ("drift_alpha = 0", "'drift_alpha' must be a number strictly between 0 and 1"),
        ("min_rows = 0", "'min_rows' must be an integer of at least 1"),
        ('gate_on = "median"', "monitor.gate_on"),
        ('estimate_gate_on = "median"', "monitor.estimate_gate_on"),
        ("max_gap = 0.1", "unknown key 'monitor.max_gap'"),
    ],
)
def test_bad_monitor_policy_values_are_one_policy_error(section, message):
    import tomllib

    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_policy(tomllib.loads(f"[monitor]\n{section}\n"), source="p.toml")


def _estimated(
    estimate: float = 0.92, *, ece: float | None = 0.02, auc: float = 0.5, drifted: tuple[bool, ...] = (False, False)
) -> MonitorEvidence:
    from gapgates.compute.estimate import EstimatedScore, PerformanceEstimate

    score = EstimatedScore("accuracy", estimate, estimate - 0.02, estimate + 0.02, 0.93, "promotion")
    return MonitorEvidence(
        scores=(), drift=_drift(auc=auc, drifted=drifted), estimate=PerformanceEstimate("cbpe", (score,), 1000, ece, 0.95, 10)
    )


@pytest.mark.parametrize(("estimate", "outcome"), [(0.89, MonitorOutcome.OK), (0.87, MonitorOutcome.RETRAIN)])
def test_the_estimated_gap_on_both_sides_of_its_limit(estimate, outcome):
    decision = decide(_estimated(estimate), MonitorPolicy())
    assert decision.outcome is outcome
    (check,) = [c for c in decision.checks if c.name == "estimated_gap:accuracy"]
    assert check.value == pytest.approx(0.93 - estimate) and "estimated without labels by CBPE" in check.message
    assert not [c for c in decision.checks if c.name.startswith("production_gap")]  # nothing measured without labels


@pytest.mark.parametrize(("estimate", "outcome"), [(0.91, MonitorOutcome.OK), (0.89, MonitorOutcome.RETRAIN)])
def test_estimate_gate_on_upper_retrains_when_the_interval_reaches_the_limit(estimate, outcome):
    # the estimated gap of 0.89 is 0.04, under the limit (ok by default); its interval reaches 0.93 - 0.87 = 0.06
    decision = decide(_estimated(estimate), MonitorPolicy(estimate_gate_on="upper"))
    (check,) = [c for c in decision.checks if c.name == "estimated_gap:accuracy"]
    assert decision.outcome is outcome
    assert check.value == pytest.approx(0.93 - (estimate - 0.02)) and "upper bound of its 95% interval" in check.message
    assert decide(_estimated(estimate), MonitorPolicy()).outcome is MonitorOutcome.OK  # the default, undrifted: the mean


@pytest.mark.parametrize(
    ("drifted", "value", "outcome"),
    [((False, False), 0.04, MonitorOutcome.OK), ((True, False), 0.06, MonitorOutcome.RETRAIN), (None, 0.04, MonitorOutcome.OK)],
)
def test_auto_judges_the_mean_until_a_column_drifts_then_the_upper_bound(drifted, value, outcome):
    # estimated 0.89 against 0.93 at promotion: mean gap 0.04 (under the 0.05 limit), upper bound 0.06 (over it)
    evidence = _estimated(0.89, drifted=drifted or (False, False))
    if drifted is None:  # evidence without a drift measurement (a library caller): the mean
        evidence = replace(evidence, drift=None)
    policy = MonitorPolicy(max_drift_auc=None, max_drifted_share=None, max_support_auc=None)
    assert policy.estimate_gate_on == "auto"  # the shipped default
    decision = decide(evidence, policy)
    (check,) = [c for c in decision.checks if c.name == "estimated_gap:accuracy"]
    assert check.value == pytest.approx(value) and decision.outcome is outcome
    if drifted == (True, False):
        assert "upper bound of its 95% interval: the fresh rows drifted in c0, where the estimate extrapolates" in check.message
    else:
        assert "bound" not in check.message
    # set explicitly, the mean stays the mean on drifted rows
    explicit = decide(evidence, MonitorPolicy(max_drifted_share=None, max_support_auc=None, estimate_gate_on="mean"))
    assert [c.value for c in explicit.checks if c.name == "estimated_gap:accuracy"] == [pytest.approx(0.04)]


def test_auto_counts_only_drifted_columns_the_correctness_model_read():
    """A drifted id the correctness model left out (every batch drifts in it) keeps the mean; a drifted feature it
    read picks the upper bound, and the message names at most three of them."""
    policy = MonitorPolicy(max_drift_auc=None, max_drifted_share=None, max_support_auc=None)

    def judged(drifted: tuple[bool, ...], features: tuple[str, ...]) -> tuple[float | None, str]:
        evidence = _estimated(0.89, drifted=drifted)
        evidence = replace(evidence, estimate=replace(evidence.estimate, features=features))
        (check,) = [c for c in decide(evidence, policy).checks if c.name == "estimated_gap:accuracy"]
        return check.value, check.message

    assert judged((False, True), ("c0",))[0] == pytest.approx(0.04)  # c1 drifted, read by no model of the estimate
    assert judged((False, True), ("c0", "c1"))[0] == pytest.approx(0.06)
    value, message = judged((True,) * 5, ("c0", "c1", "c2", "c3", "c4"))
    assert value == pytest.approx(0.06) and "drifted in c0, c1, c2 and 2 more, where" in message


@pytest.mark.parametrize(("estimate_gate_on", "value"), [("mean", 0.04), ("lower", 0.02), ("upper", 0.06)])
def test_the_estimated_gap_gates_on_its_own_setting_not_the_labelled_gaps(estimate_gate_on, value):
    policy = MonitorPolicy(gate_on="lower", estimate_gate_on=estimate_gate_on)
    (check,) = [c for c in decide(_estimated(0.89), policy).checks if c.name.startswith("estimated")]
    assert check.value == pytest.approx(value)


@pytest.mark.parametrize(("ece", "outcome"), [(0.09, MonitorOutcome.OK), (0.11, MonitorOutcome.WARN)])
def test_a_poorly_calibrated_reference_warns_that_the_estimate_is_untrustworthy(ece, outcome):
    decision = decide(_estimated(ece=ece), MonitorPolicy())
    assert decision.outcome is outcome
    if outcome is MonitorOutcome.WARN:
        assert "calibration error" in decision.reasons[0]


@pytest.mark.parametrize(("auc", "warned"), [(0.94, False), (0.96, True)])
def test_fresh_rows_outside_the_training_support_warn_about_the_estimate(auc, warned):
    decision = decide(_estimated(auc=auc), MonitorPolicy(max_drift_auc=None))
    (check,) = [c for c in decision.checks if c.name == "estimate_support"]
    assert (check.status.value == "warn") is warned
    assert decision.outcome is (MonitorOutcome.WARN if warned else MonitorOutcome.OK)


def test_the_estimate_rules_are_silent_on_a_labelled_run():
    names = [c.name for c in decide(_evidence(), MonitorPolicy()).checks]
    assert not [n for n in names if n.startswith("estimate")]
