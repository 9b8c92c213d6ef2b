"""Real reports for the report/history/notify tests (one real gate run, no mocks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import noisy_classification


def real_run(tmp: Path, *, name: str = "tree", policy: Path | None = None, history: Path | None = None) -> Path:
    """Run the gate on generated noisy data with an unbounded tree (blocked); return the report directory."""
    from gapgates.config import make_config
    from gapgates.pipeline.definition import run_check
    from gapgates.publishing import publish

    data = tmp / "data.csv"
    if not data.exists():
        noisy_classification(n=300).to_csv(data, index=False)
    out = tmp / "reports" / name
    config = make_config({"data": data, "target": "label", "model": "sklearn.tree.DecisionTreeClassifier",
                          "name": name, "out": out, "policy": policy, "history": history, "folds": 3})
    publish(run_check(config), out=out)
    return out


def load(out: Path) -> dict[str, Any]:
    """The report.json in a directory."""
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def with_optional_sections(report: dict[str, Any]) -> dict[str, Any]:
    """The report plus every optional section, in the shapes a real ``gapgates check`` writes.

    Copied from a real report (``--holdout-fraction 0.2 --learning-curve --registry --promote``, second
    run so a champion exists) and trimmed; a few values are changed so that each section has something
    to show (a failed expectation, copied holdout rows, a noise diagnosis).
    """
    return {
        **report,
        "noise": {"rate": 0.183, "n_issues": 55, "rows": 300, "filter_by": "prune_by_noise_rate",
                  "per_class": {"0": {"rows": 148, "issues": 25, "rate": 0.168919, "estimated_noise": 0.157},
                                "1": {"rows": 152, "issues": 30, "rate": 0.197368, "estimated_noise": 0.2114}},
                  "issues": [{"row": 17, "given": 1, "suggested": 0, "quality": 0.012},
                             {"row": 203, "given": 0, "suggested": 1, "quality": 0.031}],
                  "skipped": None},
        "noise_adjusted": {"removed": 55, "memorised": 0.9345, "metrics": {"accuracy": {
            "train_mean": 1.0, "test_mean": 0.8712, "gap_mean": 0.1288, "gap_ci_low": 0.0815, "gap_ci_high": 0.1761,
            "relative_gap": 0.1288, "folds": [{"train": 1.0, "test": 0.88}, {"train": 1.0, "test": 0.86},
                                              {"train": 1.0, "test": 0.8736}]}}},
        "shift": {"auc": 0.81, "top_features": [{"feature": "x3", "auc": 0.693088}, {"feature": "x7", "auc": 0.689686}],
                  "rows": 300, "seconds": 0.626},
        "leakage": {"holdout_rows": 60, "exact_duplicates": 2, "near_duplicates": 3, "near_checked": 60,
                    "duplicate_rate": 0.05, "duplicate_rows": [12, 40, 57],
                    "top_features": [{"feature": "x1", "score": 0.786893}, {"feature": "x4", "score": 0.764585}],
                    "seconds": 0.149},
        "diagnosis": {"label": "noise",
                      "explanation": "18.3% of labels look wrong; the gap shrinks by 0.12 without them.",
                      "mitigations": ["Relabel the flagged rows.", "Use a loss robust to label noise."],
                      "also": ["overfit"]},
        "learning_curve": {"metric": "accuracy", "points": [
            {"rows": 40, "train": 1.0, "test": 0.61, "gap": 0.39},
            {"rows": 120, "train": 1.0, "test": 0.67, "gap": 0.33},
            {"rows": 200, "train": 1.0, "test": 0.705, "gap": 0.295}],
            "more_data_helps": True,
            "verdict": "From 120 to 200 training rows the gap went from 0.330 to 0.295: more data would likely help."},
        "quality": {"success": False, "critical": True, "suites": ["gapgates-builtin"], "rows": {"data": 300},
                    "seconds": 1.065, "results": [
            {"name": "quality:expect_table_row_count_to_be_between", "expectation": "expect_table_row_count_to_be_between",
             "column": None, "success": True, "critical": True, "observed": 300,
             "details": {"expected": {"min_value": 1}, "severity": "critical"}, "dataset": "data", "rule": "min_rows"},
            {"name": "quality:expect_column_values_to_not_be_null:label:target_not_null",
             "expectation": "expect_column_values_to_not_be_null", "column": "label", "success": False,
             "critical": True, "observed": 0.01,
             "details": {"expected": {}, "severity": "critical", "element_count": 300, "unexpected_count": 3,
                         "examples": [None, None, None]},
             "dataset": "data", "rule": "target_not_null"}]},
        "registry": {"version": "v7", "promoted": False, "production": "v6", "previous": "v6"},
        "champion": {"version": "v6", "metric": "accuracy", "test": [0.75, 0.73, 0.74], "test_mean": 0.74,
                     "holdout": None, "recorded_gap": 0.2125, "reason": None},
    }
