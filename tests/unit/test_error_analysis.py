"""The pieces of the error analysis that need no model: intervals, the ECE, the policy sections, the report sections."""

from __future__ import annotations

import numpy as np
import pytest


def test_wilson_interval_matches_its_formula_and_stays_inside_0_1():
    from gapgates.compute.segments import wilson_interval

    low, high = wilson_interval(np.array([45, 0, 30]), np.array([50, 30, 30]))
    z = 1.959963984540054
    p, n = 0.9, 50
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert low[0] == pytest.approx(centre - half) and high[0] == pytest.approx(centre + half)
    assert low[1] == pytest.approx(0.0) and 0 < high[1] < 0.15  # no successes: still a real upper bound
    assert high[2] == pytest.approx(1.0) and low[2] > 0.85


def test_expected_calibration_error_weights_bins_by_rows():
    from gapgates.compute.classification import expected_calibration_error

    # 10 rows at p = 0.95 that all happen (|1 − 0.95|), 10 rows at p = 0.75 of which half happen (|0.5 − 0.75|)
    outcome = np.array([1] * 10 + [1] * 5 + [0] * 5)
    probability = np.array([0.95] * 10 + [0.75] * 10)
    assert expected_calibration_error(outcome, probability) == pytest.approx((10 * 0.05 + 10 * 0.25) / 20)
    assert expected_calibration_error(outcome, probability, bins=1) == pytest.approx(abs(15 / 20 - 0.85))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"segments": {"min_rows": 0}}, "The 'min_rows' must be an integer of at least 1. Got 0."),
        ({"segments": {"max_gap": -0.1}}, "The 'max_gap' limit must be a number between 0 and infinity. Got -0.1."),
        ({"calibration": {"max_ece": 1.5}}, "The 'max_ece' limit must be a number between 0 and 1. Got 1.5."),
        ({"data_issues": {"max_outlier_rate": 2}}, "The 'max_outlier_rate' limit must be a number between 0 and 1. Got 2."),
        ({"data_issues": {"max_dupes": 0.1}}, "unknown key 'data_issues.max_dupes'"),
    ],
)
def test_bad_limits_are_one_line_policy_errors(section, message):
    from gapgates.errors import PolicyError
    from gapgates.judge.policy import parse_policy

    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(".", r"\.")) as err:
        parse_policy(section)
    assert "\n" not in str(err.value)


def test_every_new_limit_is_off_in_the_shipped_policy():
    from gapgates.judge.policy import load_policy

    policy = load_policy()
    assert policy.segments.min_test_score is None and policy.segments.max_gap is None
    assert policy.calibration.max_ece is None
    assert all(
        getattr(policy.data_issues, name) is None
        for name in ("max_duplicate_rate", "max_near_duplicate_rate", "max_conflicting_rate", "max_outlier_rate")
    )
    assert policy.segments.min_rows == 30 and policy.data_issues.max_rows == 5000


def test_sections_render_from_report_json_alone():
    from gapgates.report.html import sections
    from gapgates.report.markdown import render_markdown

    report = {
        "policy": {"segments": {"min_test_score": {"limit": 0.7, "severity": None}}},
        "segments": {
            "metric": "accuracy",
            "interval": "wilson",
            "confidence": 0.95,
            "min_rows": 30,
            "overall": 0.9,
            "judged": 2,
            "train_rows_scored": 80,
            "largest_gap": None,
            "segments": [
                {
                    "kind": "value",
                    "columns": ["c"],
                    "description": "c = x",
                    "rows": 40,
                    "test": 0.5,
                    "low": 0.35,
                    "high": 0.65,
                    "train": 0.55,
                    "gap": 0.05,
                }
            ],
        },
        "regression": {
            "task": "regression",
            "rows": 3,
            "residuals": {"predicted": [1.0, 2.0], "residual": [0.1, -0.2]},
            "by_quantile": [{"low": 0.0, "high": 1.0, "rows": 3, "mae": 0.2, "bias": 0.1}],
        },
        "data_issues": {
            "rows": 100,
            "total_rows": 900,
            "sampled": True,
            "issue_types": ["outlier"],
            "exact_duplicates": 4,
            "conflicting_labels": None,
            "examples": {},
            "seconds": 0.1,
            "summary": {"outlier": {"issues": 3, "rate": 0.03, "score": 0.4}},
        },
    }
    text = render_markdown({"decision": "block", **report})
    assert "| c = x | 40 | 0.5000 | [0.3500, 0.6500] | 0.5500 | 0.0500 |" in text
    assert "(a random sample of 100 of 900 rows)" in text and "| outlier | 3 | 0.0300 | 0.4000 |" in text
    charts = sections(report)[3]
    assert set(charts) == {"segments", "residuals"}
    assert "floor 0.7" in charts["segments"] and charts["segments"].count("<svg") == 1
