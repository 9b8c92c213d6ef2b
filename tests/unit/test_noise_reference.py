"""The reference noise rate (:mod:`gapgates.compute.noise_reference`) and the ``label_noise:increase`` rule."""

from __future__ import annotations

import numpy as np

from gapgates.compute.noise import NoiseResult
from gapgates.compute.noise_reference import NoiseReference, from_history, from_registry
from gapgates.history import estimator_identity
from gapgates.judge.checks import Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy
from gapgates.judge.rules import evaluate
from tests.helpers import run_record


def _noise(rate: float) -> NoiseResult:
    return NoiseResult(
        rows=1000,
        n_issues=int(rate * 1000),
        rate=rate,
        per_class={},
        issues=(),
        filter_by="both",
        positions=np.zeros(0, dtype=int),
    )


def _check(evidence: Evidence, policy: Policy | None = None):
    return next(c for c in evaluate(policy or Policy(), evidence).checks if c.name == "label_noise:increase")


def test_the_reference_is_the_last_promoted_or_approved_run_with_a_rate():
    runs = [
        run_record(decision="promote", noise_rate=0.10, time="t1"),
        run_record(
            decision="needs_approval",
            noise_rate=0.11,
            time="t2",
            approval={"approved": True, "actor": "ann", "reason": None, "timed_out": False},
        ),
        run_record(decision="block", noise_rate=0.30, time="t3"),
        run_record(decision="promote", noise_rate=None, time="t4"),
    ]
    assert from_history(runs, model="m") == NoiseReference(0.11, source="history", version="t2")
    assert from_history(runs[2:], model="m").rate is None and "no promoted run of 'm'" in from_history([], model="m").reason


def test_the_registry_reference_needs_a_production_version_with_a_rate():
    assert from_registry("v3", {"noise_rate": 0.12}, where="reg") == NoiseReference(0.12, "registry", "v3")
    assert "No production model in reg" in from_registry(None, None, where="reg").reason
    assert "v3 in reg has no recorded noise rate" in from_registry("v3", {"noise_rate": None}, where="reg").reason


def test_a_rate_another_model_measured_is_no_reference():
    """A flagged share depends on the model that flags it: a logistic regression compared with a forest's rate would
    be blocked for being the weaker model, not for worse labels. Same model, same parameters: compared; a rate
    recorded before the model was (no ``estimator``): compared, as before."""
    forest = estimator_identity("sklearn.ensemble.RandomForestClassifier", {"n_estimators": 50})
    logreg = estimator_identity("sklearn.linear_model.LogisticRegression", {})
    other = from_registry("v3", {"noise_rate": 0.12, "estimator": forest}, where="reg", model=logreg)
    assert other.rate is None and "RandomForestClassifier(n_estimators=50)" in other.reason
    assert "LogisticRegression()" in other.reason and "first-run rule" in other.reason
    same = from_registry("v3", {"noise_rate": 0.12, "estimator": logreg}, where="reg", model=logreg)
    assert same == NoiseReference(0.12, "registry", "v3")
    assert from_registry("v3", {"noise_rate": 0.12}, where="reg", model=logreg).rate == 0.12
    retuned = estimator_identity("sklearn.ensemble.RandomForestClassifier", {"n_estimators": 500})
    assert from_registry("v3", {"noise_rate": 0.12, "estimator": forest}, where="reg", model=retuned).rate is None
    runs = [run_record(noise_rate=0.10, time="t1", estimator=logreg), run_record(noise_rate=0.05, time="t2", estimator=forest)]
    assert from_history(runs, model="m", estimator=forest) == NoiseReference(0.05, source="history", version="t2")
    last = from_history(runs, model="m", estimator=logreg)  # the last promoted run is the forest's: not an older one
    assert last.rate is None and "the last promoted run (t2)" in last.reason


def test_the_same_model_written_two_ways_is_one_identity_and_a_digest_names_it_too():
    from gapgates.history import describe_estimator, identity_digest, same_estimator

    spec = "sklearn.linear_model.LogisticRegression"
    assert estimator_identity(spec, {"C": 1}) == estimator_identity(spec, {"C": 1.0, "n_jobs": 2, "random_state": 7})
    assert estimator_identity(spec, {"C": 1}) != estimator_identity(spec, {"C": 2})
    assert estimator_identity(spec, {"fit_intercept": True}) != estimator_identity(spec, {"fit_intercept": 1})
    long = estimator_identity(spec, {"class_weight": {str(i): 1.0 for i in range(400)}})
    assert same_estimator(identity_digest(long), long) and same_estimator(long, identity_digest(long))
    assert not same_estimator(identity_digest(long), estimator_identity(spec, {}))
    other = from_registry("v3", {"noise_rate": 0.1, "estimator": identity_digest(long)}, where="reg", model=long)
    assert other.rate == 0.1  # an MLflow tag holds the digest of a long identity: still the same model
    assert describe_estimator(identity_digest(long)).startswith("a model recorded by its digest")
    runs = [run_record(noise_rate=0.10, time="t1")]  # recorded before the model was: compared as before
    assert from_history(runs, model="m", estimator=estimator_identity(spec, {})).rate == 0.10


def test_the_increase_rule_on_both_sides_of_its_limit_and_skipped_without_reference():
    ref = NoiseReference(0.12, source="registry", version="v3")
    within = _check(Evidence(noise=_noise(0.149), noise_reference=ref))
    assert within.status is Status.PASS and abs(within.value - 0.029) < 1e-9
    over = _check(Evidence(noise=_noise(0.151), noise_reference=ref))
    assert over.status is Status.FAIL and "of production version v3" in over.message
    skipped = _check(Evidence(noise=_noise(0.9)))
    assert skipped.status is Status.SKIPPED and "max_rate still applies" in skipped.message
    none = _check(Evidence(noise=_noise(0.9), noise_reference=from_registry(None, None, where="reg")))
    assert none.status is Status.SKIPPED and none.message.startswith("No production model in reg")
    broken = _check(Evidence(noise=_noise(0.1), errors={"noise_reference": "the history cannot be read"}))
    assert broken.status is Status.FAIL  # a reference that cannot be read never passes


def test_no_noise_diagnosis_without_a_breached_noise_rule():
    from gapgates.judge.diagnosis import diagnose

    evidence = Evidence(noise=_noise(0.2), noise_reference=NoiseReference(0.19, source="history", version="t"))
    decision = evaluate(Policy(), evidence)  # 20% flagged: under max_rate 0.25, +1 point over the reference
    noise_checks = {c.name: c.status for c in decision.checks if c.name.startswith("label_noise")}
    assert noise_checks.pop("label_noise:confident") is Status.SKIPPED  # a reference exists: the increase judges
    assert all(status is Status.PASS for status in noise_checks.values())
    assert diagnose(evidence, decision).label != "noise"


def test_every_other_breached_rule_gets_advice_naming_its_finding():
    from gapgates.compute.champion import ChampionResult
    from gapgates.judge.checks import Check, Decision, Outcome
    from gapgates.judge.diagnosis import rule_advice

    champion = ChampionResult(version="v7", metric="accuracy", test=(0.9,), test_mean=0.9)
    evidence = Evidence(champion=champion)
    decision = Decision(Outcome.BLOCK)
    regression = Check("champion_regression", Status.FAIL, 0.042, 0.01, "Drop in accuracy versus production v7.")
    assert rule_advice(regression, evidence, decision).startswith("Keep production v7: the candidate scores 0.042 below")
    trend = Check("trend", Status.FAIL, 0.08, 0.05, "Widening.")
    assert "widened by 0.080 across the last runs" in rule_advice(trend, evidence, decision)
    other = Check("min_test_score", Status.FAIL, 0.7, 0.8, "Mean cross-validated accuracy is 0.7 (< limit 0.8).")
    assert rule_advice(other, evidence, decision) == f"Fix what the min_test_score check found: {other.message}"
