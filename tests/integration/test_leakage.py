"""Leaks that inflate cross-validation, planted in real scikit-learn tables and caught by a whole ``run_check``.

Target proxies (a column derived from the target), copies of the label, 25 % duplicated rows and undeclared
groups (every row copied 4 times with 1 % jitter): each is blocked as ``leakage`` with its evidence (the score
with and without the column, the optimism of the copies), and the untouched table is not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes

from gapgates.config import make_config
from gapgates.judge.checks import Outcome, Status
from gapgates.pipeline.definition import run_check
from gapgates.report.build import build_report, write_reports

TREE = "sklearn.tree.DecisionTreeClassifier"
FOREST = "sklearn.ensemble.RandomForestClassifier"


pytestmark = pytest.mark.usefixtures("one_native_thread")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("leakage")
    rng = np.random.default_rng(0)
    # diabetes progression above its median is the label; the progression itself is the leak ("followup").
    diabetes = load_diabetes(as_frame=True).frame
    label = (diabetes["target"] > diabetes["target"].median()).astype(int)
    diabetes.drop(columns="target").assign(followup=diabetes["target"], label=label).to_csv(
        root / "diabetes_followup.csv", index=False
    )
    honest = diabetes.drop(columns="target").assign(label=label)
    honest.to_csv(root / "diabetes_label.csv", index=False)
    extra = honest.iloc[rng.choice(len(honest), size=len(honest) // 4, replace=False)]
    duplicated = pd.concat([honest, extra], ignore_index=True)
    duplicated.iloc[rng.permutation(len(duplicated))].to_csv(root / "diabetes_duplicated.csv", index=False)
    features = [c for c in honest.columns if c != "label"]
    scale = honest[features].std(ddof=0).to_numpy() * 0.01
    copies = []
    for _ in range(4):  # every patient 4 times with 1 % jitter: an undeclared grouping
        part = honest.copy()
        part[features] = honest[features].to_numpy() + rng.normal(size=(len(honest), len(features))) * scale
        copies.append(part)
    grouped = pd.concat(copies, ignore_index=True)
    grouped.iloc[rng.permutation(len(grouped))].to_csv(root / "diabetes_groups.csv", index=False)
    noisy = np.where(rng.random(len(label)) < 0.1, 1 - label, label)
    diabetes.drop(columns="target").assign(reviewed=noisy, label=label).to_csv(root / "diabetes_copy.csv", index=False)
    return root


def run(files: Path, data: str, target: str, model: str, **options):
    return run_check(make_config({"data": files / data, "target": target, "model": model, **options}))


def checks_of(result) -> dict[str, object]:
    return {c.name: c for c in result.decision.checks if c.name.startswith("leakage")}


def test_duplicated_rows_are_blocked_with_their_optimism(files, tmp_path):
    result = run(files, "diabetes_duplicated.csv", "label", TREE)
    checks = checks_of(result)
    rep = result.evidence.leakage.repeated
    assert rep is not None and not rep.grouped and rep.exact == rep.repeated > 0.3 * rep.rows
    assert rep.optimism == pytest.approx(rep.reported - rep.honest) and rep.optimism > 0.03
    assert checks["leakage:optimism"].status is Status.FAIL and checks["leakage:optimism"].value == rep.optimism_low > 0.03
    assert checks["leakage:repeated_rows"].status is Status.WARN
    assert result.decision.outcome is Outcome.BLOCK and result.diagnosis.label == "leakage"
    assert f"optimism {rep.optimism:+.3f}" in result.diagnosis.explanation
    assert result.diagnosis.mitigations[0].startswith("De-duplicate the training rows:")
    report = build_report(result)  # validated against the schema
    assert report["leakage"]["repeated"]["optimism"] == pytest.approx(rep.optimism, abs=1e-6)
    paths = write_reports(report, tmp_path)
    assert 'id="leakage-repeated"' in paths["html"].read_text()
    assert "- Training rows:" in paths["markdown"].read_text()


def test_the_same_table_without_copies_is_not_leakage(files):
    result = run(files, "diabetes_label.csv", "label", TREE)
    checks = checks_of(result)
    assert result.evidence.leakage.repeated.spanning == 0
    assert checks["leakage:optimism"].status is Status.SKIPPED
    assert checks["leakage:repeated_rows"].status is Status.PASS
    assert not [c for c in checks.values() if c.status is Status.FAIL]
    assert result.diagnosis.label != "leakage"


def test_undeclared_groups_are_named_and_group_is_advised(files):
    result = run(files, "diabetes_groups.csv", "label", FOREST)
    rep = result.evidence.leakage.repeated
    assert rep.grouped and rep.exact == 0 and rep.typical_size == 4 and rep.share > 0.9
    assert checks_of(result)["leakage:optimism"].status is Status.FAIL
    assert result.diagnosis.label == "leakage" and "undeclared grouping" in result.diagnosis.explanation
    assert any("--group" in m and m.startswith("Declare the grouping") for m in result.diagnosis.mitigations)


def test_a_column_the_target_is_derived_from_is_a_proxy(files):
    result = run(files, "diabetes_followup.csv", "label", "sklearn.ensemble.HistGradientBoostingClassifier")
    proxy = next(p for p in result.evidence.leakage.proxies if p.column == "followup")
    assert proxy.alone > 0.95 and proxy.without < 0.85 and proxy.closure > 0.8
    check = checks_of(result)["leakage:proxy"]
    assert check.status is Status.FAIL and "'followup'" in check.message
    assert result.diagnosis.label == "leakage"
    assert f"{proxy.reported:.3f} with it, {proxy.without:.3f} without it" in result.diagnosis.explanation


def test_the_honest_table_has_no_proxy(files):
    result = run(files, "diabetes_label.csv", "label", "sklearn.ensemble.HistGradientBoostingClassifier")
    checks = checks_of(result)
    assert checks["leakage:proxy"].status in (Status.PASS, Status.SKIPPED)
    assert not [c for c in checks.values() if c.status is Status.FAIL]


def test_a_noisy_copy_of_the_label_is_leakage(files):
    result = run(files, "diabetes_copy.csv", "label", "sklearn.linear_model.LogisticRegression")
    check = checks_of(result)["leakage:label_copy"]
    assert check.status is Status.FAIL and check.value > 0.7 and "'reviewed'" in check.message
    assert result.diagnosis.label == "leakage"
    assert any(m.startswith("Drop or rebuild column 'reviewed'") for m in result.diagnosis.mitigations)


def test_the_refits_stay_under_the_fit_ceiling(files):
    result = run(files, "diabetes_duplicated.csv", "label", TREE, max_fits=5)  # the 5 folds of the gap pass, no more
    assert result.evidence.leakage.repeated is None
    optimism = checks_of(result)["leakage:optimism"]
    assert optimism.status is Status.SKIPPED and "--max-fits" in optimism.message
