"""The quality gate wired into runs: fail fast with a block and a report (exit 1); usage errors stay exit 2."""

from __future__ import annotations

import json

import pytest

from gapgates.config import make_config
from gapgates.errors import ConfigError, DataError
from gapgates.judge.checks import Outcome, Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy
from gapgates.judge.rules import evaluate
from gapgates.pipeline.run import run_check
from tests.helpers import noisy_classification

MODEL = "sklearn.linear_model.LogisticRegression"


def config(data, **extra):
    return make_config({"data": data, "target": "label", "model": MODEL, **extra})


@pytest.fixture
def null_target_csv(tmp_path):
    df = noisy_classification(200)
    df.loc[[4, 9], "label"] = None
    path = tmp_path / "null_target.csv"
    df.to_csv(path, index=False)
    return path


def test_null_target_blocks_before_any_model_is_fit(null_target_csv):
    result = run_check(config(null_target_csv))
    assert result.decision.outcome is Outcome.BLOCK
    assert result.model is None and result.evidence.gap is None  # nothing was trained
    names = [c.name for c in result.decision.failed]
    assert names == ["quality:expect_column_values_to_not_be_null:label:target_not_null"]
    assert "2 of 200 values unexpected" in result.decision.reasons[0]


def test_not_required_keeps_the_old_data_error(null_target_csv):
    with pytest.raises(DataError, match="target column 'label' has 2 missing"):
        run_check(config(null_target_csv), policy=Policy(quality={"required": False}))


def test_clean_data_runs_the_gate_with_a_passing_quality_check(noisy_csv):
    result = run_check(config(noisy_csv, folds=3))
    quality = [c for c in result.decision.checks if c.name == "quality"]
    assert [c.status for c in quality] == [Status.PASS]
    assert result.evidence.gap is not None and result.evidence.quality.success


def test_quality_rule_in_decision_rules():
    from gapgates.quality.result import ExpectationOutcome, QualityResult

    bad = QualityResult(results=(ExpectationOutcome("expect_column_to_exist", "x", False, True, None),),
                        rows={"data": 3})
    decision = evaluate(Policy(), Evidence(quality=bad))
    assert "quality:expect_column_to_exist:x" in [c.name for c in decision.failed]
    warn_only = evaluate(Policy(quality={"required": False}), Evidence(quality=bad))
    assert "quality:expect_column_to_exist:x" in [c.name for c in warn_only.warnings]
    assert "quality" in [c.name for c in evaluate(Policy(), Evidence(errors={"quality": "boom"})).failed]


def test_missing_policy_suite_is_a_usage_error(noisy_csv, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[quality]\nsuite = "nowhere.json"\n')
    with pytest.raises(ConfigError, match=r"nowhere\.json' does not exist"):
        run_check(config(noisy_csv, policy=policy))


def test_cli_blocks_with_exit_1_and_report(run_cli, null_target_csv, tmp_path):
    out = tmp_path / "report"
    proc = run_cli("check", "--data", str(null_target_csv), "--target", "label", "--model", MODEL, "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    assert "no model trained" in proc.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["decision"] == "block" and report["gap"] is None
    assert report["quality"]["success"] is False
    failure = next(r for r in report["quality"]["results"] if not r["success"])
    assert failure["expectation"] == "expect_column_values_to_not_be_null" and failure["column"] == "label"
    assert failure["details"]["unexpected_count"] == 2
    assert "## Data quality" in (out / "report.md").read_text()


def test_cli_profile_then_check_blocks_out_of_range_holdout(run_cli, tmp_path):
    data = tmp_path / "data.csv"
    table = noisy_classification(280)
    table.iloc[:200].to_csv(data, index=False)
    hold = table.iloc[200:].reset_index(drop=True)
    hold.loc[0, "x2"] = 1e9
    hold_path = tmp_path / "hold.csv"
    hold.to_csv(hold_path, index=False)
    proc = run_cli("profile", "--data", str(data), "--target", "label", "--out", str(tmp_path / "accepted.json"))
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "policy.toml").write_text('[quality]\nsuite = "accepted.json"\n')
    out = tmp_path / "report"
    proc = run_cli("check", "--data", str(data), "--holdout", str(hold_path), "--target", "label", "--model", MODEL,
                   "--policy", str(tmp_path / "policy.toml"), "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    report = json.loads((out / "report.json").read_text())
    names = [c["name"] for c in report["checks"] if c["status"] == "fail"]
    assert "quality:holdout:expect_column_values_to_be_between:x2" in names
    assert all(n.startswith("quality:holdout:") for n in names)  # the data itself matches its profile


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--target", "nope"], "target column 'nope' is not in the data"),
        (["profile", "--target", "nope", "--out", "x.json"], "target column 'nope' is not in the data"),
    ],
)
def test_usage_errors_stay_exit_2(run_cli, noisy_csv, tmp_path, args, message):
    extra = ["--model", MODEL] if args[0] == "check" else []
    proc = run_cli(*args, "--data", str(noisy_csv), *extra, cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
