"""The quality gate through the CLI as a real subprocess: a block with a report (exit 1); usage errors stay exit 2."""

from __future__ import annotations

import json

import pytest

from tests.helpers import noisy_classification

MODEL = "sklearn.linear_model.LogisticRegression"


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
    proc = run_cli(
        "check",
        "--data",
        str(data),
        "--holdout",
        str(hold_path),
        "--target",
        "label",
        "--model",
        MODEL,
        "--policy",
        str(tmp_path / "policy.toml"),
        "--out",
        str(out),
    )
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
