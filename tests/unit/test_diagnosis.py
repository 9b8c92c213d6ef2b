"""The diagnosis labels (whole gate runs diagnosed are in tests/integration/test_diagnosis.py)."""

from __future__ import annotations

from gapgates.judge.checks import Decision, Outcome
from gapgates.judge.diagnosis import LABELS, MITIGATIONS, diagnose
from gapgates.judge.evidence import Evidence


def test_every_label_has_mitigations():
    assert set(MITIGATIONS) == set(LABELS)
    assert diagnose(Evidence(), Decision(Outcome.PROMOTE)).label == "healthy"
