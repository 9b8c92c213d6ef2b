import json

import pytest

from gapgates.config import make_config
from gapgates.pipeline.definition import run_check
from gapgates.report.build import build_report, render_markdown, write_reports


@pytest.fixture
def result(cancer_csv, tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_text('[gap]\nmetrics = ["accuracy", "roc_auc"]\nmax_gap = 0.01\n')
    config = make_config(
        {
            "data": cancer_csv,
            "target": "target",
            "model": "sklearn.tree.DecisionTreeClassifier",
            "params": {"max_depth": 3},
            "policy": policy,
            "folds": 3,
        }
    )
    return run_check(config)


def test_report_json_has_the_documented_sections(result, tmp_path):
    paths = write_reports(build_report(result), tmp_path / "r")
    report = json.loads(paths["json"].read_text())
    for key in ("schema_version", "decision", "checks", "gap", "holdout", "baseline", "config", "data", "policy_hash"):
        assert key in report
    assert report["decision"] == result.decision.outcome.value == "block"
    assert list(report["gap"]) == ["accuracy", "roc_auc"]
    assert report["model"]["name"] == "DecisionTreeClassifier"
    assert report["checks"][0] == result.decision.checks[0].to_dict()


def test_markdown_shows_decision_reasons_and_gap_table(result):
    md = render_markdown(build_report(result))
    assert md.startswith("# gapgates: BLOCK")
    assert "| accuracy |" in md and "| roc_auc |" in md
    assert "## Reasons" in md and "limit 0.01" in md
