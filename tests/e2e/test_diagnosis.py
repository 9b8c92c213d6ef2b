"""`gapgates check --learning-curve` as a real subprocess: the curve in report.json, stdout and the Markdown."""

from __future__ import annotations

import json

from gapgates.report.build import render_markdown


def test_learning_curve_flag_adds_the_curve(run_cli, cancer_csv, tmp_path):
    out = tmp_path / "out"
    proc = run_cli(
        "check",
        "--data",
        str(cancer_csv),
        "--target",
        "target",
        "--model",
        "sklearn.tree.DecisionTreeClassifier",
        "--param",
        "max_depth=3",
        "--folds",
        "3",
        "--learning-curve",
        "--out",
        str(out),
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "diagnosis:" in proc.stdout
    curve = json.loads((out / "report.json").read_text())["learning_curve"]
    assert len(curve["points"]) == 5 and curve["points"][-1]["rows"] > curve["points"][0]["rows"]
    assert isinstance(curve["more_data_helps"], bool) and "training rows" in curve["verdict"]
    assert "Learning curve:" in render_markdown(json.loads((out / "report.json").read_text()))
