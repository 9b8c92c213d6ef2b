"""``gapgates run``: the check options, executed through the flow, against PREFECT_API_URL or ephemeral."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gapgates.demo import DEMO_POLICY_PATH


def _flow_runs(api_url: str) -> int:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return len(client.read_flow_runs())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "code", "word"),
    [("gapgates.demo.scaled_logistic_regression", 0, "PROMOTE"), ("sklearn.tree.DecisionTreeClassifier", 1, "BLOCK")],
)
def test_run_uses_the_server_at_prefect_api_url(prefect_api, run_cli, cancer_csv, tmp_path, monkeypatch, model,
                                               code, word):
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    before = _flow_runs(prefect_api)
    proc = run_cli("run", "--data", str(cancer_csv), "--target", "target", "--model", model,
                   "--policy", str(DEMO_POLICY_PATH), "--out", str(tmp_path / "out"))
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert word in proc.stdout and "accuracy" in proc.stdout
    assert (tmp_path / "out" / "report.json").is_file()
    assert _flow_runs(prefect_api) == before + 1  # the run was recorded by that server


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--data", "{tmp}/nope.csv", "--target", "target", "--model", "sklearn.tree.DecisionTreeClassifier"],
         "Data file"),
        (["--data", "{csv}", "--target", "labl", "--model", "sklearn.tree.DecisionTreeClassifier"],
         "target column 'labl' is not in the data"),
        (["--data", "{csv}", "--target", "target", "--model", "sklearn.tree.NoSuchTree"], "NoSuchTree"),
        (["--target", "y", "--model", "m"], "'data' is required"),
    ],
)
def test_run_bad_input_is_one_line_and_exit_2_before_any_flow_run(prefect_api, run_cli, cancer_csv, tmp_path,
                                                                  monkeypatch, args, says):
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
    proc = run_cli("run", "--data", str(cancer_csv), "--target", "target",
                   "--model", "sklearn.tree.DecisionTreeClassifier", "--policy", str(DEMO_POLICY_PATH), "--folds", "3")
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
