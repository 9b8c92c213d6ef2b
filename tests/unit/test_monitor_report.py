"""A label-free monitor report as printed, rendered and carried by the retrain event (gapgates.report.monitor,
gapgates.monitor.monitor_evidence): it says "estimated", shows the interval and the concept-shift note."""

from __future__ import annotations

from gapgates.monitor import CONCEPT_SHIFT_NOTE, monitor_evidence
from gapgates.report.monitor import monitor_lines, render_monitor_html, render_monitor_markdown


def _report(*, labelled: bool) -> dict:
    estimate = {
        "method": "cbpe",
        "primary_metric": "accuracy",
        "scores": {
            "accuracy": {
                "promoted_test": 0.9, "reference": "promotion", "estimated": 0.7, "estimated_ci_low": 0.65,
                "estimated_ci_high": 0.75, "gap_mean": 0.2, "gap_ci_low": 0.15, "gap_ci_high": 0.25,
            }
        },
        "reference_rows": 1500, "ece": 0.02, "confidence": 0.95, "draws": 200, "notes": [CONCEPT_SHIFT_NOTE],
    }  # fmt: skip
    gap = {
        "accuracy": {
            "promoted_test": 0.9, "fresh": 0.72, "fresh_ci_low": 0.69, "fresh_ci_high": 0.75, "interval": "wilson",
            "gap_mean": 0.18, "gap_ci_low": 0.15, "gap_ci_high": 0.21,
        }
    }  # fmt: skip
    return {
        "kind": "monitor", "created": "2026-12-06T00:00:00+00:00", "model": {"name": "clf", "task": "classification"},
        "registry": {"version": "v1", "promoted_at": None, "location": "r"}, "decision": "retrain",
        "reasons": ["The estimated production gap of accuracy is 0.2 (> limit 0.05)."], "checks": [],
        "primary_metric": "accuracy", "gap": gap if labelled else {}, "data": {"rows": 1000, "path": "f.csv",
        "fingerprint": "abc"}, "drift": {"auc": 0.8, "drifted": ["x0"], "fresh_rows": 1000, "reference_rows": 1500,
        "alpha": 0.01, "columns": []}, "labels": labelled, "batch": {"id": "b1", "source": "features"},
        "estimate": None if labelled else estimate,
        "estimate_check": {"run_id": 3, "created": "t", "decision": "retrain", "metrics": {"accuracy": {
            "estimated_gap": 0.2, "estimated_ci_low": 0.15, "estimated_ci_high": 0.25, "actual_gap": 0.18,
            "error": -0.02}}} if labelled else None,
    }  # fmt: skip


def test_a_label_free_run_prints_estimated_with_its_interval_and_the_concept_shift_note():
    lines = monitor_lines(_report(labelled=False))
    assert lines[0] == "MONITOR  clf v1 on 1000 fresh rows WITHOUT LABELS: RETRAIN"
    assert any("ESTIMATED 0.7000 [0.6500, 0.7500]; estimated production gap 0.2000 [0.1500, 0.2500]" in li for li in lines)
    assert lines[-1] == f"  note: {CONCEPT_SHIFT_NOTE}" and "CBPE" in lines[1]
    markdown, page = render_monitor_markdown(_report(labelled=False)), render_monitor_html(_report(labelled=False))
    assert "## Estimated production gap (no labels)" in markdown and "concept shift" in markdown
    assert "Estimated production gap (no labels)" in page and "concept shift" in page


def test_a_labelled_run_of_an_estimated_batch_shows_estimate_vs_actual():
    report = _report(labelled=True)
    lines = monitor_lines(report)
    assert "WITHOUT LABELS" not in lines[0] and not any("ESTIMATED" in li for li in lines)
    assert any("estimated gap 0.2000, actual 0.1800 (error -0.0200)" in li for li in lines)
    assert "## Estimate vs actual" in render_monitor_markdown(report)


def test_the_retrain_event_says_whether_the_gap_was_estimated():
    estimated, measured = monitor_evidence(_report(labelled=False)), monitor_evidence(_report(labelled=True))
    assert estimated["estimated"] is True and estimated["production_gap"] == 0.2 and estimated["gap_ci_high"] == 0.25
    assert measured["estimated"] is False and measured["production_gap"] == 0.18 and measured["batch"] == "b1"
