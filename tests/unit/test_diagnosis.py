"""The diagnosis labels (whole gate runs diagnosed are in tests/integration/test_diagnosis.py)."""

from __future__ import annotations

from gapgates.judge.checks import Decision, Outcome
from gapgates.judge.diagnosis import diagnose, labels, mitigations
from gapgates.judge.evidence import Evidence


def test_every_label_has_mitigations():
    assert set(mitigations()) == set(labels())
    assert labels() == ("leakage", "shift", "underfit", "noise", "overfit", "inconclusive", "benign_gap", "healthy")
    assert diagnose(Evidence(), Decision(Outcome.PROMOTE)).label == "healthy"


def test_a_healthy_gap_blocked_by_another_rule_names_the_rule_and_advises_on_it():
    from gapgates.judge.checks import Check, Status

    failing = Check("calibration:max_ece", Status.FAIL, 0.16, 0.1, "Expected calibration error 0.160 above 0.1.")
    diagnosis = diagnose(Evidence(), Decision(Outcome.BLOCK, checks=(failing,)))
    assert diagnosis.label == "healthy"
    assert diagnosis.explanation.startswith("No gap, noise, shift or leakage limit is breached. Blocked by other rules")
    assert "Blocked by other rules: calibration:max_ece (Expected calibration error 0.160" in diagnosis.explanation
    assert diagnosis.mitigations and not any("Nothing to fix" in m for m in diagnosis.mitigations)
    assert "CalibratedClassifierCV" in diagnosis.mitigations[0] and "0.160" in diagnosis.mitigations[0]


def test_a_noise_result_without_a_rate_is_not_diagnosed_as_noise_and_does_not_crash():
    """mypy found it: a NoiseResult whose rate could not be computed (None) while its check failed made the noise
    diagnosis format None as a percentage (TypeError, so the run ended as an internal error)."""
    from gapgates.compute.noise import NoiseResult
    from gapgates.judge.checks import Check, Status

    noise = NoiseResult(rows=0, n_issues=0, rate=None, per_class={}, issues=(), filter_by="prune_by_noise_rate")
    failing = Check("label_noise", Status.FAIL, None, 0.25, "Share of labels cleanlab flags could not be computed.")
    diagnosis = diagnose(Evidence(noise=noise), Decision(Outcome.BLOCK, checks=(failing,)))
    assert diagnosis.label != "noise" and "label_noise" in diagnosis.explanation
    # its check failed: the explanation must not also say no noise limit was breached
    assert diagnosis.explanation.startswith("No gap limit is breached. Blocked by other rules: label_noise")
