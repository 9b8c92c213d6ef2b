"""``gapgates check --training-curve`` and ``--recommend`` in a real process: the recommended max_iter of a
boosting model trained far past its best is in report.json and in the printed summary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import noisy_classification

HGB = "sklearn.ensemble.HistGradientBoostingClassifier"
PAST_ITS_BEST = (
    "--param",
    "max_iter=300",
    "--param",
    "learning_rate=0.3",
    "--param",
    "early_stopping=false",
    "--param",
    "random_state=0",
)


@pytest.fixture
def common(tmp_path: Path) -> tuple[str, ...]:
    data = tmp_path / "noisy.csv"
    noisy_classification(600, flip=0.2, seed=1).to_csv(data, index=False)
    # about overfit: the gap judged alone (3 folds leave its cost inconclusive), the data's flipped labels allowed
    policy = tmp_path / "policy.toml"
    policy.write_text('[gap]\nmode = "absolute"\n[noise]\nmax_confident_error_ratio = 100\n')
    return (
        "--data",
        str(data),
        "--target",
        "label",
        "--model",
        HGB,
        *PAST_ITS_BEST,
        "--folds",
        "3",
        "--n-jobs",
        "1",
        "--policy",
        str(policy),
    )


def test_check_training_curve_prints_and_reports_the_recommended_max_iter(run_cli, common, tmp_path: Path):
    out = tmp_path / "run"
    done = run_cli("check", *common, "--training-curve", "--out", str(out))
    assert done.returncode == 1, done.stderr  # blocked: overfit
    section = json.loads((out / "report.json").read_text())["training_curve"]
    line = section["param_line"]
    assert re.fullmatch(r"--param max_iter=\d+", line) and section["stopping_iteration"] < 300
    assert f"training curve: {section['verdict']}" in done.stdout and line in done.stdout
    assert "Training curve:" in (out / "report.md").read_text()


def test_check_recommend_names_the_early_stopping_point_without_the_option(run_cli, common, tmp_path: Path):
    out = tmp_path / "recommend"
    done = run_cli("check", *common, "--recommend", "--out", str(out))
    assert done.returncode == 1, done.stderr
    report = json.loads((out / "report.json").read_text())
    line = report["training_curve"]["param_line"]
    assert re.fullmatch(r"--param max_iter=\d+", line)
    checked = report["early_stopping"]
    assert [s["param_line"] for s in checked["settings"]] == [
        line,
        "--param early_stopping=true --param n_iter_no_change=10",
    ]  # both forms, each re-checked
    for setting in checked["settings"]:
        assert f"Early stopping, re-checked on the run's folds: {setting['param_line']} " in done.stdout
    assert any(
        m.startswith(f"Stop early: {line} ") and "Re-checked on the run's folds" in m for m in report["diagnosis"]["mitigations"]
    )
