"""The worked example of a measurement (docs/contributing.md), end to end: the recall of every class decides a `gapgates check`
(process boundary), shows in report.md and report.html, and becomes a table artifact of the Prefect flow."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

LOGREG = "sklearn.linear_model.LogisticRegression"


@pytest.fixture
def imbalanced_csv(tmp_path: Path) -> Path:
    """600 rows, 8 % of them class 1, weakly separated: a logistic regression finds about 40 % of class 1."""
    from sklearn.datasets import make_classification

    X, y = make_classification(600, 6, n_informative=3, weights=[0.92], class_sep=0.8, flip_y=0, random_state=3)
    path = tmp_path / "imbalanced.csv"
    pd.DataFrame(X, columns=[f"x{i}" for i in range(6)]).assign(label=y).to_csv(path, index=False)
    return path


def _policy(tmp_path: Path, limit: float) -> Path:
    path = tmp_path / f"recall-{limit}.toml"
    path.write_text(f"[gap]\nmax_gap = 0.2\n[recall]\nmin_per_class = {limit}\n")
    return path


def _check(run_cli, data: Path, policy: Path, out: Path):
    proc = run_cli(
        "check", "--data", str(data), "--target", "label", "--model", LOGREG, "--policy", str(policy), "--out", str(out)
    )
    report = json.loads((out / "report.json").read_text())
    return proc, report


def test_the_recall_rule_decides_a_check_and_shows_in_both_reports(run_cli, imbalanced_csv, tmp_path):
    proc, report = _check(run_cli, imbalanced_csv, _policy(tmp_path, 0.99), tmp_path / "strict")
    worst = report["recall"]["per_class"][report["recall"]["worst"]]["recall"]
    assert report["recall"]["worst"] == "1" and worst < 0.9
    check = next(c for c in report["checks"] if c["name"] == "recall:min_per_class")
    assert proc.returncode == 1 and check["status"] == "fail" and check["value"] == worst
    assert any("class_weight" in m for m in report["diagnosis"]["mitigations"])
    markdown = (tmp_path / "strict" / "report.md").read_text()
    assert "## Recall per class" in markdown and re.search(r"\| 1 \| 0\.\d{4} \|", markdown)
    html = (tmp_path / "strict" / "report.html").read_text()
    assert '<section id="recall">' in html and "Recall per class" in html

    below = round(worst - 0.05, 4)  # the other side of the limit: the same run passes the rule
    proc, report = _check(run_cli, imbalanced_csv, _policy(tmp_path, below), tmp_path / "loose")
    check = next(c for c in report["checks"] if c["name"] == "recall:min_per_class")
    assert check["status"] == "pass" and "recall:min_per_class" not in " ".join(report["reasons"])


def test_the_flow_publishes_the_recall_table(prefect_api, imbalanced_csv, tmp_path):
    from gapgates.flows.retrain import retrain_and_gate
    from prefect.artifacts import Artifact

    options = {
        "data": str(imbalanced_csv),
        "target": "label",
        "model": LOGREG,
        "policy": str(_policy(tmp_path, 0.99)),
        "name": "recall-example",
    }
    state = retrain_and_gate(options=options, return_state=True)
    assert state.is_failed() and state.message.startswith("Blocked: ")
    table = Artifact.get("gapgates-recall-example-recall")
    assert table is not None and table.type == "table" and table.flow_run_id == state.state_details.flow_run_id
    rows = json.loads(table.data)
    assert {r["class"] for r in rows} == {"0", "1"} and all({"recall", "low", "support"} <= set(r) for r in rows)
