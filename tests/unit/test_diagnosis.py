"""The diagnosis labels (whole gate runs diagnosed are in tests/integration/test_diagnosis.py)."""

from __future__ import annotations

from gapgates.judge.checks import Decision, Outcome
from gapgates.judge.diagnosis import LABELS, MITIGATIONS, diagnose
from gapgates.judge.evidence import Evidence


def test_every_label_has_mitigations():
    assert set(MITIGATIONS) == set(LABELS)
    assert diagnose(Evidence(), Decision(Outcome.PROMOTE)).label == "healthy"


def test_a_healthy_gap_blocked_by_another_rule_names_the_rule_and_advises_on_it():
    from gapgates.judge.checks import Check, Status

    failing = Check("calibration:max_ece", Status.FAIL, 0.16, 0.1, "Expected calibration error 0.160 above 0.1.")
    diagnosis = diagnose(Evidence(), Decision(Outcome.BLOCK, checks=(failing,)))
    assert diagnosis.label == "healthy"
    assert "Blocked by other rules: calibration:max_ece (Expected calibration error 0.160" in diagnosis.explanation
    assert diagnosis.mitigations and not any("Nothing to fix" in m for m in diagnosis.mitigations)
    assert "CalibratedClassifierCV" in diagnosis.mitigations[0] and "0.160" in diagnosis.mitigations[0]
