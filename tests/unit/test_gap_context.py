"""The gap in context: a gap over its limit blocks only when a reference beats the candidate on the same folds."""

import numpy as np
import pytest

from gapgates.compute.baseline import ReferenceScores, StrongBaselineResult
from gapgates.compute.crossval import CrossValidation, GapResult, summarize_gap
from gapgates.compute.intervals import paired_difference
from gapgates.judge.checks import Check, Decision, Outcome, Status
from gapgates.judge.diagnosis import diagnose
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import parse_policy
from gapgates.judge.rules import evaluate
from gapgates.measurements.gap import regime_of

FOLDS = [(np.arange(80), np.arange(80, 100))] * 5
# a forest-like candidate: train 1.0, test ~0.85, a gap of ~0.15 far over max_gap 0.05
CANDIDATE = [0.85, 0.86, 0.84, 0.85, 0.86]
# a reference better by +0.04 on average, clearing max_cost 0.01 by more than 1.5 standard errors (0.016), but not
# significantly: the corrected interval of the difference reaches below 0
NOISY = [0.93, 0.86, 0.91, 0.86, 0.90]


def make_gap(test, train=(1.0,) * 5):
    g = summarize_gap("accuracy", list(train), list(test), n_train=80, n_test=20)
    cv = CrossValidation(splits=FOLDS, estimators=(), classes=None, oof_proba=None, oof_pred=None, covered=None, fit_seconds=0.0)
    return GapResult(metrics={"accuracy": g}, classification=True, n_folds=len(test), confidence=0.95, cv=cv)


def strong(test, train=(0.9,) * 5):
    ref = ReferenceScores("hgb", "HGB", train={"accuracy": tuple(train)}, test={"accuracy": tuple(test)})
    return StrongBaselineResult(references=(ref,), best="hgb", metric="accuracy", n_train=80, n_test=20, fits=5)


def gap_check(evidence, on_inconclusive="established"):
    """The ``gap:accuracy`` check of ``evidence`` under the default policy with that ``on_inconclusive``."""
    checks = evaluate(parse_policy({"gap": {"on_inconclusive": on_inconclusive}}), evidence).checks
    return next(c for c in checks if c.name == "gap:accuracy")


def judged(baseline_test, policy=None, *, train=(1.0,) * 5):
    ev = Evidence(gap=make_gap(CANDIDATE, train), strong_baseline=None if baseline_test is None else strong(baseline_test))
    decision = evaluate(parse_policy(policy or {}), ev)
    check = next(c for c in decision.checks if c.name == "gap:accuracy")
    return decision, check, diagnose(ev, decision)


def test_a_reference_significantly_better_makes_the_gap_harmful_and_blocks_as_overfit():
    decision, check, diagnosis = judged([0.90, 0.91, 0.89, 0.90, 0.91])  # +0.05 on every fold
    assert check.status is Status.FAIL and check.regime == "harmful"
    assert decision.outcome.value == "block" and diagnosis.label == "overfit"
    assert "costs held-out score" in check.message and "strong baseline (hgb)" in check.message


def test_a_gap_no_reference_beats_is_benign_a_warning_not_a_block():
    decision, check, diagnosis = judged([0.84, 0.86, 0.83, 0.85, 0.85])  # the candidate is as good or better
    assert check.status is Status.WARN and check.regime == "benign"
    assert decision.outcome.value == "promote" and diagnosis.label == "benign_gap"
    assert "benign gap" in check.message.lower() and "overfit" not in diagnosis.label
    assert "interpolates" in diagnosis.explanation  # train 1.0: the regime is named


def test_a_cost_the_folds_cannot_settle_is_inconclusive_a_warning_unless_the_policy_blocks():
    noisy = NOISY
    d = paired_difference(noisy, CANDIDATE, n_train=80, n_test=20)
    assert d.mean > 0.01 and d.low < 0
    fits = (0.97, 0.98, 0.97, 0.98, 0.97)  # a gap of ~0.12 over its limit, without interpolating the training rows
    decision, check, diagnosis = judged(noisy, {"gap": {"on_inconclusive": "interpolating"}}, train=fits)
    assert check.status is Status.WARN and check.regime == "inconclusive"
    assert decision.outcome.value == "promote" and diagnosis.label == "inconclusive"
    assert any("rows" in m for m in diagnosis.mitigations)
    decision, check, _ = judged(noisy, {"gap": {"on_inconclusive": "block"}}, train=fits)
    assert check.status is Status.FAIL and decision.outcome.value == "block"


def test_an_established_gap_that_trails_a_reference_on_average_blocks_by_default():
    """The gap's whole interval is over its limit and a reference with a smaller gap is better on average: the block
    hangs on the mean cost, not on a significance the fold seed tips either way."""
    noisy = NOISY
    fits = (0.97, 0.98, 0.97, 0.98, 0.97)  # a gap of ~0.12, its interval all over 0.05; not interpolating
    ev = Evidence(gap=make_gap(CANDIDATE, fits))
    assert ev.gap.primary.gap_ci_low > 0.05
    decision, check, diagnosis = judged(noisy, train=fits)
    assert check.status is Status.FAIL and check.regime == "established"
    assert decision.outcome.value == "block" and diagnosis.label == "overfit"
    assert "over the limit across its whole interval" in check.message and "not significantly" in check.message
    better = [0.84, 0.86, 0.83, 0.85, 0.85]  # no reference better on average: still benign
    assert judged(better, train=fits)[1].regime == "benign"


def test_a_gap_straddling_its_limit_is_not_established_unless_the_model_interpolates():
    """An interval around the limit is not an established gap (the fold seed moves its lower bound across it): a cost
    the folds cannot settle stays a warning for a model that does not interpolate, and blocks one that does."""
    candidate = [0.98, 0.92, 0.99, 0.93, 0.98]
    reference = [1.0, 1.0, 0.99, 1.0, 0.99]  # +0.036 on average, not significantly
    d = paired_difference(reference, candidate, n_train=80, n_test=20)
    assert d.mean > 0.01 and d.low < 0
    fits = (0.99,) * 5  # a gap of 0.03, its interval over 0.05 and under it

    straddling = Evidence(gap=make_gap(candidate, fits), strong_baseline=strong(reference))
    g = straddling.gap.primary
    assert g.gap_ci_low < 0.05 < g.gap_ci_high
    check = gap_check(straddling)
    assert check.status is Status.WARN and check.regime == "inconclusive"
    assert gap_check(straddling, "block").status is Status.FAIL
    interpolating = Evidence(gap=make_gap(candidate), strong_baseline=strong(reference))  # train 1.0
    check = gap_check(interpolating)
    assert check.status is Status.FAIL and check.regime == "memorising"


def test_a_relative_gap_is_established_on_its_own_scale():
    """``relative_gap`` compares gap / train score: its interval is established when its lower bound over the train
    score is over ``max_relative_gap``."""
    noisy = NOISY
    fits = (0.97, 0.98, 0.97, 0.98, 0.97)
    ev = Evidence(gap=make_gap(CANDIDATE, fits), strong_baseline=strong(noisy))
    g = ev.gap.primary
    relative_low = g.gap_ci_low / g.train_mean

    def relative(limit):
        policy = parse_policy({"gap": {"max_gap": 1.0, "max_relative_gap": limit}})
        return next(c for c in evaluate(policy, ev).checks if c.name == "relative_gap:accuracy")

    under, over = relative(relative_low - 0.005), relative(relative_low + 0.005)
    assert under.status is Status.FAIL and under.regime == "established"
    assert over.status is Status.WARN and over.regime == "inconclusive"  # its interval straddles the limit


def test_an_unsettled_cost_of_a_model_that_interpolates_its_rows_blocks_as_overfit_by_default():
    noisy = NOISY
    decision, check, diagnosis = judged(noisy)  # train 1.0 on every fold: it interpolates (an unbounded tree, 1-NN)
    assert check.status is Status.FAIL and check.regime == "memorising"
    assert decision.outcome.value == "block" and diagnosis.label == "overfit"
    assert "interpolates its training rows" in check.message and "not significantly" in check.message
    _, check, diagnosis = judged(noisy, {"gap": {"on_inconclusive": "warn"}})  # the former default
    assert check.status is Status.WARN and check.regime == "inconclusive" and diagnosis.label == "inconclusive"
    interpolating = {"gap": {"on_inconclusive": "interpolating"}}
    _, check, _ = judged(noisy, interpolating, train=(0.998,) * 5)  # within 0.001 of a perfect score: 0.002 away
    assert check.regime == "inconclusive" and check.status is Status.WARN
    assert judged(noisy, train=(0.998,) * 5)[1].regime == "established"  # the default: its whole interval is over


def test_a_mean_cost_within_its_noise_of_max_cost_is_not_a_cost():
    """A reference better by +0.04 on average whose per-fold differences spread so wide (standard error 0.035) that
    another fold assignment could put the mean under max_cost: benign under the default ``cost_margin`` (1.5 standard
    errors), the inconclusive cost of a memorising model (a block) with ``cost_margin = 0``."""
    spread = [0.95, 0.80, 0.93, 0.82, 0.96]
    d = paired_difference(spread, CANDIDATE, n_train=80, n_test=20)
    assert 0.01 < d.mean < 0.01 + 1.5 * d.se
    decision, check, diagnosis = judged(spread)
    assert check.status is Status.WARN and check.regime == "benign" and decision.outcome.value == "promote"
    assert "beyond 1.5 standard errors" in check.message and f"(standard error {d.se:.3f})" in check.message
    _, check, diagnosis = judged(spread, {"gap": {"cost_margin": 0}})  # the mean alone
    assert check.status is Status.FAIL and check.regime == "memorising" and diagnosis.label == "overfit"
    assert "standard errors" not in check.message
    steady = judged(NOISY)[1]  # +0.04 too, with a standard error of 0.016: a cost (inconclusive, memorising: a block)
    assert steady.status is Status.FAIL and steady.regime == "memorising"


def test_a_significant_cost_needs_no_margin():
    """A reference better on every fold (+0.015 on average, its interval above 0) costs the candidate held-out score
    although its mean is within 1.5 standard errors of max_cost: the interval already rules the noise out."""
    steady = [0.855, 0.885, 0.85, 0.87, 0.875]
    d = paired_difference(steady, CANDIDATE, n_train=80, n_test=20, confidence=0.9)
    assert d.low > 0 and 0.01 < d.mean < 0.01 + 1.5 * d.se
    assert judged(steady)[1].regime == "harmful"


def test_max_cost_is_how_much_held_out_score_a_gap_may_cost():
    slightly = [0.87, 0.88, 0.86, 0.87, 0.88]  # +0.02 on every fold: significant
    assert judged(slightly)[1].regime == "harmful"
    _, check, _ = judged(slightly, {"gap": {"max_cost": 0.03}})
    assert check.regime == "benign" and check.status is Status.WARN


def test_absolute_mode_is_todays_rule_unchanged():
    for baseline in ([0.84, 0.86, 0.83, 0.85, 0.85], [0.90, 0.91, 0.89, 0.90, 0.91], None):
        _decision, check, diagnosis = judged(baseline, {"gap": {"mode": "absolute"}})
        assert check.status is Status.FAIL and check.regime is None and diagnosis.label == "overfit"
        assert check.message.startswith("Upper bound of the accuracy gap") and check.message.endswith("(> limit 0.05).")


def test_without_any_reference_the_gap_is_judged_as_in_absolute_mode():
    _decision, check, diagnosis = judged(None)
    assert check.status is Status.FAIL and check.regime is None and diagnosis.label == "overfit"
    assert check.message.endswith("No reference to judge it against (strong baseline off, no training curve).")
    failed = Evidence(gap=make_gap(CANDIDATE), errors={"strong_baseline": "The strong_baseline step failed: boom"})
    check = gap_check(failed)  # the baseline was on, and failed: the message says so, not that it was off
    assert check.status is Status.FAIL
    assert check.message.endswith("No reference to judge it against (the strong baseline failed, see baseline_shortfall).")


def test_a_gap_within_its_limit_passes_whatever_the_references():
    ev = Evidence(gap=make_gap([0.97, 0.98, 0.97, 0.98, 0.97]), strong_baseline=strong([0.99] * 5))
    check = gap_check(ev)
    assert check.status is Status.PASS and check.regime is None


def test_the_regime_is_kept_in_the_checks_json():
    check = Check("gap:accuracy", Status.WARN, 0.2, 0.05, "benign", regime="benign")
    assert Check.from_dict(check.to_dict()) == check
    assert "regime" not in Check("gap:accuracy", Status.PASS, 0.0, 0.05, "ok").to_dict()
    assert Decision.from_checks([check], on_fail=Outcome.BLOCK).outcome is Outcome.PROMOTE  # a warning never blocks


def test_regime_of_without_references_is_none():
    assert regime_of([], max_cost=0.01, gap=0.2) is None


@pytest.mark.parametrize("models", [["hgb", "hgb"], ["svm"]])
def test_the_baseline_models_are_checked(models):
    from gapgates.errors import PolicyError

    with pytest.raises(PolicyError):
        parse_policy({"baseline": {"models": models}})


def test_the_strong_baseline_reaches_the_report_the_flows_table_and_the_mlflow_run():
    from gapgates.enforcement import _strong_baseline
    from gapgates.measurements.strong_baseline import STRONG_BASELINE
    from gapgates.registry.mlflow import run_metrics

    ev = Evidence(gap=make_gap(CANDIDATE), strong_baseline=strong([0.90, 0.91, 0.89, 0.90, 0.91]))
    section = STRONG_BASELINE.section.json(ev)["strong_baseline"]
    assert section["best"] == "hgb" and section["comparison"]["shortfall"]["mean"] == pytest.approx(0.05)
    report = {"strong_baseline": section}
    assert any("| accuracy | 0.9000 | 0.9020 |" in line for line in STRONG_BASELINE.section.markdown(report))
    (table,) = STRONG_BASELINE.section.tables(report)
    assert table.kind == "strong-baseline" and len(table.rows) == 5
    metrics = run_metrics({"strong_baseline": _strong_baseline(ev)})
    assert metrics["accuracy.baseline_test"] == pytest.approx(0.902) and metrics["accuracy.baseline_gap"] == pytest.approx(-0.002)


def test_the_report_schema_names_every_reference_model_the_policy_accepts():
    """A reference the policy accepts but the schema does not name fails every report that fits it."""
    import json
    from pathlib import Path
    from typing import get_args

    import gapgates.measurements as measurements
    from gapgates.compute.baseline import STRONG_MODELS
    from gapgates.judge.policy import BaselineModel

    fragment = json.loads((Path(measurements.__file__).parent / "schemas" / "strong_baseline.json").read_text())
    reference = fragment["properties"]["strong_baseline"]["properties"]["references"]["items"]
    assert set(reference["properties"]["name"]["enum"]) == set(STRONG_MODELS) == set(get_args(BaselineModel))
