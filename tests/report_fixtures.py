"""Real reports for the report/history/notify tests (one real gate run, no mocks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import noisy_classification


def real_run(tmp: Path, *, name: str = "tree", policy: Path | None = None, history: Path | None = None) -> Path:
    """Run the gate on generated noisy data with an unbounded tree (blocked); return the report directory."""
    from gapgates.config import make_config
    from gapgates.publish import publish
    from gapgates.runner import run_check

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
    """The report plus every optional section in the shapes issues 3, 4 and 5 describe."""
    return {
        **report,
        "noise": {"rate": 0.183, "n_issues": 55, "per_class": {"0": 0.17, "1": 0.2},
                  "issues": [{"row": 17, "given": 1, "suggested": 0, "quality": 0.012},
                             {"row": 203, "given": 0, "suggested": 1, "quality": 0.031}]},
        "noise_adjusted": {"accuracy": {"test_mean": 0.93, "gap_mean": 0.07}},
        "shift": {"auc": 0.81, "top_features": [{"feature": "x3", "importance": 0.41}]},
        "leakage": {"duplicate_rate": 0.0, "n_duplicates": 0, "feature_scores": {"x1": 0.61}},
        "diagnosis": {"label": "noise",
                      "explanation": "18.3% of labels look wrong; the gap shrinks by 0.12 without them.",
                      "mitigations": ["Relabel the flagged rows.", "Use a loss robust to label noise."]},
        "learning_curve": {"train_sizes": [50, 100, 200], "train_scores": [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
                           "test_scores": [[0.6, 0.62], [0.66, 0.68], [0.7, 0.71]]},
        "quality": {"success": False, "expectations": [
            {"expectation": "expect_column_values_to_not_be_null", "column": "label", "success": False,
             "observed": {"unexpected_count": 3}, "details": {"partial_unexpected_list": [None, None, None]}},
            {"expectation": "expect_table_row_count_to_be_between", "column": None, "success": True,
             "observed": 300, "details": {}}]},
        "registry": {"version": "v7", "path": "/tmp/registry"},
        "champion": {"version": "v6", "test": {"accuracy": 0.74}, "regression": 0.02},
    }
