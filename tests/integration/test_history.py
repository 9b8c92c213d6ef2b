"""A history record made from a real report (one real gate run)."""

from __future__ import annotations

import pytest

from gapgates.history import record_from_report
from tests.helpers import load, real_run


def test_record_from_a_real_report(tmp_path):
    report = load(real_run(tmp_path))
    rec = record_from_report({**report, "noise": {"rate": 0.2}, "diagnosis": {"label": "overfit"}, "registry": {"version": 4}})
    assert rec.model == "tree" and rec.decision == "block" and rec.fingerprint == report["data"]["fingerprint"]
    assert rec.gaps["accuracy"].gap == pytest.approx(report["gap"]["accuracy"]["gap_mean"])
    assert rec.gaps["accuracy"].ci_high == pytest.approx(report["gap"]["accuracy"]["gap_ci_high"])
    assert (rec.noise_rate, rec.diagnosis, rec.version) == (0.2, "overfit", "4")
    assert record_from_report(report).noise_rate == pytest.approx(report["noise"]["rate"])
    assert record_from_report({**report, "noise": None}).noise_rate is None
