"""The CLI as a real subprocess: ``gapgates check`` acceptance cases and error output, ``gapgates run``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gapgates.demo import DEMO_POLICY_PATH
from gapgates.report.build import SCHEMA_VERSION
from tests.helpers import ROOT


def test_unbounded_tree_on_noisy_data_is_blocked(run_cli, noisy_csv, cli_policy, tmp_path):
    out = tmp_path / "out"
    proc = run_cli(
        "check",
        "--data",
        str(noisy_csv),
        "--target",
        "label",
        "--model",
        "sklearn.tree.DecisionTreeClassifier",
        "--policy",
        str(cli_policy),
        "--out",
        str(out),
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["decision"] == "block"
    gap_check = next(c for c in report["checks"] if c["name"] == "gap:accuracy")
    assert gap_check["status"] == "fail" and gap_check["value"] > 0.05
    assert report["gap"]["accuracy"]["train_mean"] == 1.0
    assert "BLOCK" in proc.stdout and "gap:accuracy" in proc.stdout
    assert (out / "report.md").read_text().startswith("# gapgates: BLOCK")


def test_scaled_logistic_regression_on_breast_cancer_is_promoted(run_cli, cancer_csv, cli_policy, tmp_path):
    model_file = tmp_path / "model.py"
    model_file.write_text(
        "from sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import StandardScaler\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "def make():\n    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))\n"
    )
    out = tmp_path / "out"
    proc = run_cli(
        "check",
        "--data",
        str(cancer_csv),
        "--target",
        "target",
        "--model",
        f"{model_file}:make",
        "--policy",
        str(cli_policy),
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["decision"] == "promote"
    assert all(c["status"] in {"pass", "skipped"} for c in report["checks"])
    g = report["gap"]["accuracy"]
    for key in ("train_mean", "test_mean", "gap_mean", "gap_ci_low", "gap_ci_high", "relative_gap", "folds"):
        assert key in g
    assert len(g["folds"]) == 5 and set(g["folds"][0]) == {"train", "test"}
    assert report["schema_version"] == SCHEMA_VERSION
    assert report["data"]["rows"] == 569 and len(report["data"]["fingerprint"]) == 64
    assert report["holdout"] is None
    assert report["baseline"]["metrics"]["accuracy"]["test"] < g["test_mean"]
    assert report["config"]["folds"] == 5 and report["config"]["metrics"] == ["accuracy"]


def test_help_is_fast_and_imports_no_heavy_library():
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom gapgates.cli.main import cli\n"
        "r = CliRunner().invoke(cli, ['--help'])\nassert r.exit_code == 0\n"
        "heavy = [m for m in ('sklearn', 'great_expectations', 'prefect', 'pandas') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_error_has_no_traceback_and_exit_2(run_cli, tmp_path):
    proc = run_cli(
        "check", "--data", str(tmp_path / "none.csv"), "--target", "y", "--model", "sklearn.tree.DecisionTreeClassifier"
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "does not exist" in proc.stderr


def test_debug_shows_the_traceback(run_cli, tmp_path):
    proc = run_cli(
        "--debug",
        "check",
        "--data",
        str(tmp_path / "none.csv"),
        "--target",
        "y",
        "--model",
        "sklearn.tree.DecisionTreeClassifier",
    )
    assert proc.returncode != 0 and "Traceback" in proc.stderr


# --- ``gapgates run``: the check options, executed through the flow, against PREFECT_API_URL or ephemeral ---


def _flow_runs(api_url: str) -> int:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return len(client.read_flow_runs())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "code", "word"),
    [("gapgates.demo.scaled_logistic_regression", 0, "PROMOTE"), ("sklearn.tree.DecisionTreeClassifier", 1, "BLOCK")],
)
def test_run_uses_the_server_at_prefect_api_url(prefect_api, run_cli, cancer_csv, tmp_path, monkeypatch, model, code, word):
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    before = _flow_runs(prefect_api)
    proc = run_cli(
        "run",
        "--data",
        str(cancer_csv),
        "--target",
        "target",
        "--model",
        model,
        "--policy",
        str(DEMO_POLICY_PATH),
        "--out",
        str(tmp_path / "out"),
    )
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert word in proc.stdout and "accuracy" in proc.stdout
    assert (tmp_path / "out" / "report.json").is_file()
    assert _flow_runs(prefect_api) == before + 1  # the run was recorded by that server


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--data", "{tmp}/nope.csv", "--target", "target", "--model", "sklearn.tree.DecisionTreeClassifier"], "Data file"),
        (
            ["--data", "{csv}", "--target", "labl", "--model", "sklearn.tree.DecisionTreeClassifier"],
            "target column 'labl' is not in the data",
        ),
        (["--data", "{csv}", "--target", "target", "--model", "sklearn.tree.NoSuchTree"], "NoSuchTree"),
        (["--target", "y", "--model", "m"], "'data' is required"),
    ],
)
def test_run_bad_input_is_one_line_and_exit_2_before_any_flow_run(
    prefect_api, run_cli, cancer_csv, tmp_path, monkeypatch, args, says
):
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    before = _flow_runs(prefect_api)
    proc = run_cli("run", *(a.format(tmp=tmp_path, csv=cancer_csv) for a in args))
    assert proc.returncode == 2
    assert proc.stderr.startswith("gapgates: error: ") and says in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr  # no Prefect log lines, no traceback
    assert _flow_runs(prefect_api) == before  # caught before Prefect started a flow run


@pytest.mark.slow
def test_run_works_in_ephemeral_mode(run_cli, cancer_csv, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    proc = run_cli(
        "run",
        "--data",
        str(cancer_csv),
        "--target",
        "target",
        "--model",
        "sklearn.tree.DecisionTreeClassifier",
        "--policy",
        str(DEMO_POLICY_PATH),
        "--folds",
        "3",
    )
    assert proc.returncode == 1, proc.stderr
    # Prefect's own log lines (its temporary server, the task states) go to its API, not to the terminal
    assert "BLOCK" in proc.stdout and proc.stderr.strip() == "", proc.stderr


def test_help_does_not_import_prefect():
    code = "import sys; from gapgates.cli.main import cli; print('prefect' in sys.modules or 'flows' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
    from click.testing import CliRunner

    from gapgates.cli.main import cli

    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0 and "--dask" in result.output and "--holdout-fraction" in result.output
