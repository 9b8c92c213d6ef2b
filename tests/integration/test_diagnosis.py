"""The diagnosis of whole gate runs: each cause on data made to have it, and the report sections."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, make_classification

from gapgates.config import make_config
from gapgates.judge.checks import Outcome
from gapgates.judge.diagnosis import diagnose
from gapgates.pipeline.definition import run_check
from gapgates.report.build import build_report, write_reports

MODELS = """
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

scaled_lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
weak_lr = make_pipeline(StandardScaler(), LogisticRegression(C=1e-6))
"""


pytestmark = pytest.mark.usefixtures("one_native_thread")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("diagnosis")
    (root / "models.py").write_text(MODELS)
    (root / "absolute.toml").write_text("[noise]\nmax_rate = 0.05\n")  # no history: only an absolute limit applies
    X, y = load_digits(return_X_y=True, as_frame=True)
    rng = np.random.default_rng(0)
    flipped = rng.random(len(y)) < 0.10
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, 10, size=len(y))[flipped]) % 10
    X.assign(label=noisy).to_csv(root / "digits_noisy.csv", index=False)
    cancer = load_breast_cancer(as_frame=True).frame
    cancer.to_csv(root / "cancer.csv", index=False)
    cancer.sample(100, random_state=0).to_csv(root / "cancer_copies.csv", index=False)
    cancer.assign(answer=cancer["target"] * 2.0 + 1.0).to_csv(root / "cancer_leak.csv", index=False)
    (root / "columns.toml").write_text("[shift]\nmax_auc = 1.0\nmax_drifted_columns = 0\n")
    Xs, ys = make_classification(1500, 8, n_informative=5, random_state=0)
    region = pd.DataFrame(Xs, columns=[f"x{i}" for i in range(8)]).assign(label=ys)
    far = region["x0"] > region["x0"].quantile(0.8)
    region[~far].to_csv(root / "region_train.csv", index=False)
    region[far].to_csv(root / "region_far.csv", index=False)
    return root


def run(files: Path, data: str, target: str, model: str, **options):
    spec = str(files / model) if model.startswith("models.py") else model
    return run_check(make_config({"data": files / data, "target": target, "model": spec, **options}))


def test_flipped_digits_are_diagnosed_noise_and_blocked(files):
    result = run(files, "digits_noisy.csv", "label", "models.py:scaled_lr", policy=files / "absolute.toml")
    report = build_report(result)
    assert report["decision"] == "block"
    assert report["diagnosis"]["label"] == "noise"
    assert "cleanlab flags" in report["diagnosis"]["explanation"]
    assert any("Relabel" in m for m in report["diagnosis"]["mitigations"])
    first_rows = ", ".join(str(i["row"]) for i in report["noise"]["issues"][:5])
    assert f"Relabel the {report['noise']['n_issues']} flagged rows" in report["diagnosis"]["mitigations"][0]
    assert f"worst first: rows {first_rows} and" in report["diagnosis"]["mitigations"][0]
    assert not any(m.startswith("Audit") for m in report["diagnosis"]["mitigations"])  # no reference, no increase
    noise = report["noise"]
    assert noise["rate"] > 0.05 and noise["n_issues"] == len(noise["issues"])
    assert noise["issues"][0]["quality"] <= noise["issues"][-1]["quality"]
    adjusted = report["noise_adjusted"]["metrics"]["accuracy"]
    assert adjusted["gap_mean"] < report["gap"]["accuracy"]["gap_mean"]


def test_holdout_from_another_region_is_shift_not_overfit(files):
    result = run(files, "region_train.csv", "label", "models.py:scaled_lr", holdout=files / "region_far.csv")
    diagnosis = build_report(result)["diagnosis"]
    assert diagnosis["label"] == "shift"
    assert result.evidence.shift.auc > 0.9 and result.evidence.shift.top_features[0][0] == "x0"
    assert "'x0'" in diagnosis["explanation"]
    shift = build_report(result)["shift"]
    assert shift["columns"][0]["column"] == "x0" and shift["drifted"][0] == "x0"  # the shifted column, named first
    assert shift["columns"][0]["test"] == "ks" and shift["columns"][0]["p_value"] < 1e-6
    assert diagnosis["mitigations"][0].startswith(
        "The columns that moved most between training rows and the holdout: 'x0' (ks p = "
    )
    assert "If the shift in 'x0' is real" in diagnosis["mitigations"][1]
    # the shift explains the holdout gap: no advice to regularise, and no general line said twice
    assert not any(m.startswith(("Regularise", "If the shift is real", "Inspect")) for m in diagnosis["mitigations"])


def test_max_drifted_columns_blocks_as_shift_naming_the_columns(files, tmp_path):
    result = run(
        files, "region_train.csv", "label", "models.py:scaled_lr", holdout=files / "region_far.csv", policy=files / "columns.toml"
    )
    checks = {c.name: c for c in result.decision.checks}
    assert checks["shift"].status.value == "pass" and checks["shift:columns"].status.value == "fail"
    assert checks["shift:columns"].value == len(result.evidence.shift.drifted) >= 1
    assert "most drifted: 'x0'" in checks["shift:columns"].message
    assert result.diagnosis.label == "shift"
    paths = write_reports(build_report(result), tmp_path)
    assert "## Drift per column (training rows vs holdout)" in paths["markdown"].read_text()
    assert "| x0 | ks |" in paths["markdown"].read_text()
    assert 'id="shift-columns"' in paths["html"].read_text()


def test_holdout_copying_training_rows_is_leakage(files):
    result = run(files, "cancer.csv", "target", "models.py:scaled_lr", holdout=files / "cancer_copies.csv")
    report = build_report(result)
    assert report["diagnosis"]["label"] == "leakage"
    assert report["leakage"]["exact_duplicates"] == 100 and report["leakage"]["duplicate_rate"] == 1.0
    assert report["decision"] == "block"
    mitigations = report["diagnosis"]["mitigations"]
    assert mitigations[0].startswith("De-duplicate: 100 of 100 holdout rows copy a training row (holdout rows 0, 1, 2")
    assert "split by entity (--group)" in mitigations[0]
    assert not any("column" in m.lower() for m in mitigations)  # only copies were found: no column advice


def test_a_column_copying_the_target_is_leakage_naming_it(files):
    result = run(files, "cancer_leak.csv", "target", "models.py:scaled_lr")
    diagnosis = diagnose(result.evidence, result.decision)
    assert diagnosis.label == "leakage"
    assert diagnosis.mitigations[0].startswith("Drop or rebuild column 'answer': alone it explains 1.000")
    assert not any(m.startswith("De-duplicate") for m in diagnosis.mitigations)


def test_unbounded_tree_is_overfit(files):
    result = run(files, "cancer.csv", "target", "sklearn.tree.DecisionTreeClassifier")
    diagnosis = diagnose(result.evidence, result.decision)
    assert diagnosis.label == "overfit"
    assert result.evidence.noise.adjusted.memorised == 1.0  # it memorises every label, doubtful or not
    assert "1.000 accuracy on its training folds" in diagnosis.explanation
    assert any("Regularise" in m for m in diagnosis.mitigations)
    gap_check = next(c for c in result.decision.failed if c.name == "gap:accuracy")
    assert f"Regularise until gap:accuracy ({gap_check.value:.3f} against a limit of 0.05)" in diagnosis.mitigations[0]


def test_model_no_better_than_dummy_is_underfit(files):
    result = run(files, "cancer.csv", "target", "models.py:weak_lr")
    diagnosis = diagnose(result.evidence, result.decision)
    assert diagnosis.label == "underfit"
    assert "dummy baseline" in diagnosis.explanation
    p, dummy = result.evidence.gap.primary, result.evidence.baseline.test_mean["accuracy"]
    assert diagnosis.mitigations[0].startswith(
        f"The test accuracy ({p.test_mean:.3f}) is only {p.test_mean - dummy:.3f} above the dummy baseline's ({dummy:.3f})"
    )


def test_good_model_is_healthy_and_promoted(files, tmp_path):
    result = run(files, "cancer.csv", "target", "models.py:scaled_lr", holdout_fraction=0.25)
    assert result.decision.outcome is Outcome.PROMOTE
    paths = write_reports(build_report(result), tmp_path)
    report = json.loads(paths["json"].read_text())
    assert report["diagnosis"]["label"] == "healthy" and report["diagnosis"]["also"] == []
    assert {"auc", "top_features"} <= set(report["shift"]) and report["shift"]["auc"] < 0.75
    assert report["leakage"]["duplicate_rate"] == 0.0
    assert {"rate", "n_issues", "per_class", "issues"} <= set(report["noise"])
    assert report["learning_curve"] is None  # off by default
    markdown = paths["markdown"].read_text()
    assert "## Diagnosis: healthy" in markdown and "adversarial AUC" in markdown and "Noise-adjusted gap" in markdown


def test_learning_curve_config_key(files, tmp_path):
    tree = "sklearn.tree.DecisionTreeClassifier"
    config = make_config(
        {
            "data": files / "cancer.csv",
            "target": "target",
            "model": tree,
            "params": {"max_depth": 2},
            "folds": 3,
            "learning_curve": True,
        }
    )
    curve = build_report(run_check(config))["learning_curve"]
    assert [p["rows"] for p in curve["points"]] == sorted(p["rows"] for p in curve["points"])
