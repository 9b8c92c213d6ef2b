"""The HTML report of hand-made report dicts: minimal and skipped shapes, the learning-curve series.

Reports of real runs are in tests/integration/test_html.py; the report in a browser is in tests/e2e/test_html.py.
"""

from __future__ import annotations

import pytest

from gapgates.measurements.learning_curve import learning_curve_series
from gapgates.report.html import render_html


def test_minimal_and_skipped_shapes_still_render():
    html = render_html(
        {
            "decision": "needs_approval",
            "checks": [],
            "noise": {
                "rate": None,
                "n_issues": 0,
                "rows": 0,
                "filter_by": "prune_by_noise_rate",
                "per_class": {},
                "issues": [],
                "skipped": "SVC has no predict_proba.",
            },
            "leakage": {
                "holdout_rows": 0,
                "exact_duplicates": 0,
                "near_duplicates": 0,
                "near_checked": 0,
                "duplicate_rate": None,
                "duplicate_rows": [],
                "top_features": [],
                "seconds": 0.01,
            },
            "learning_curve": {"metric": "accuracy", "points": [], "more_data_helps": False, "verdict": ""},
            "champion": {
                "version": None,
                "metric": "accuracy",
                "test": [],
                "test_mean": None,
                "holdout": None,
                "recorded_gap": None,
                "reason": "No production model in reg yet: this is the first candidate.",
            },
        }
    )
    assert "NEEDS APPROVAL" in html and "Not checked: SVC has no predict_proba." in html
    assert "No holdout: holdout rows copying training rows were not looked for." in html
    assert "this is the first candidate" in html and 'id="champion-vs-challenger"' not in html
    assert 'id="noise-per-class"' not in html and "<svg" not in html


def test_learning_curve_series_reads_the_points():
    section = {
        "metric": "accuracy",
        "points": [{"rows": 10, "train": 1.0, "test": 0.7, "gap": 0.3}, {"rows": 20, "train": 0.9, "test": 0.8, "gap": 0.1}],
    }
    assert learning_curve_series(section) == ([10.0, 20.0], [1.0, 0.9], [0.7, 0.8])
    assert learning_curve_series({"points": [{"rows": 10, "train": 1.0}]}) is None
    assert learning_curve_series({"train_sizes": [1, 2], "train_scores": [1, 1], "test_scores": [0.5, 0.6]}) is None
    assert learning_curve_series({"points": []}) is None
    assert learning_curve_series(None) is None


@pytest.mark.parametrize(
    ("approval", "title"),
    [
        (None, "NEEDS APPROVAL"),
        ({"approved": True, "actor": "alice", "reason": "known shift", "timed_out": False}, "APPROVED"),
        ({"approved": False, "actor": "bob", "reason": "too risky", "timed_out": False}, "REJECTED"),
        ({"approved": False, "actor": "gapgates", "reason": "no answer in 60 s", "timed_out": True}, "NOT APPROVED"),
    ],
)
def test_an_answered_approval_titles_the_report(approval, title):
    from gapgates.report.html import render_html
    from gapgates.report.markdown import render_markdown

    report = {"decision": "needs_approval", "reasons": ["gap"], "checks": [], "gap": None, "approval": approval}
    assert render_markdown(report).splitlines()[0] == f"# gapgates: {title}"
    html = render_html(report)
    assert f"<title>gapgates: {title} ·" in html and f"</span> {title}</span>" in html
    if approval is not None:
        assert "NEEDS APPROVAL" not in html and "NEEDS APPROVAL" not in render_markdown(report)
