"""Training-data issues by cleanlab's Datalab in a gate run match Datalab called directly on the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def with_copies(path):
    """400 rows, then 25 exact copies with the same label and 15 with the other label."""
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"]).assign(colour=rng.choice(["r", "g"], 400))
    y = (X["a"] + X["b"] > 0).astype(int)
    X = pd.concat([X, X.iloc[:25], X.iloc[100:115]], ignore_index=True)
    y = pd.concat([y, y.iloc[:25], 1 - y.iloc[100:115]], ignore_index=True)
    X.assign(label=y).to_csv(path, index=False)
    return path


def test_counts_match_datalab_called_directly(tmp_path):
    from cleanlab import Datalab

    from gapgates.compute.datalab import feature_matrix
    from gapgates.config import make_config
    from gapgates.judge.policy import parse_policy
    from gapgates.pipeline.definition import run_check

    data = with_copies(tmp_path / "copies.csv")
    config = make_config({"data": data, "target": "label", "model": "sklearn.linear_model.LogisticRegression", "folds": 3})
    policy = parse_policy(
        {
            "noise": {"max_rate": 1.0, "max_confident_error_ratio": 100},
            "data_issues": {"max_duplicate_rate": 0.01, "max_conflicting_rate": 0.0},
        }
    )
    result = run_check(config, policy=policy)
    found = result.evidence.data_issues

    # cleanlab called directly on the same rows, labels, out-of-fold probabilities and features
    df = pd.read_csv(data)
    X, y = df.drop(columns="label"), df["label"].to_numpy()
    lab = Datalab(pd.DataFrame({"label": y}), label_name="label", verbosity=0)
    lab.find_issues(
        features=feature_matrix(X),
        pred_probs=result.evidence.gap.cv.oof_proba,
        issue_types={"near_duplicate": {}, "outlier": {}, "class_imbalance": {}},
    )
    summary = lab.get_issue_summary().set_index("issue_type")["num_issues"]
    for issue in ("near_duplicate", "outlier", "class_imbalance"):
        assert found.summary[issue]["issues"] == int(summary[issue])
    # exact copies and conflicting labels: the near-duplicate sets Datalab gives whose members sit at distance 0
    issues = lab.get_issues("near_duplicate")
    exact = issues["distance_to_nearest_neighbor"].to_numpy() == 0
    sets = lab.get_info("near_duplicate")["near_duplicate_sets"]
    conflicting = [
        i for i in np.flatnonzero(exact) if any(y[j] != y[i] and np.array_equal(X.iloc[j], X.iloc[i]) for j in sets[i])
    ]
    assert found.exact_duplicates == int(exact.sum()) == 80  # 40 copies and their 40 originals
    assert found.conflicting_labels == len(conflicting) == 30
    assert not found.sampled and found.rows == 440
    checks = {c.name: c for c in result.decision.checks}
    assert checks["data_issues:duplicates"].status.value == "fail"
    assert checks["data_issues:duplicates"].value == pytest.approx(80 / 440)
    assert checks["data_issues:conflicting_labels"].status.value == "fail"
    assert "data_issues:outliers" not in checks  # off by default

    # the audit reads only features and labels: another model on the same rows (a sweep value) reuses it
    other = run_check(config.model_copy(update={"model": "sklearn.tree.DecisionTreeClassifier"}), policy=policy)
    assert other.evidence.data_issues is found


def test_large_tables_are_audited_on_a_sample(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from gapgates.compute.crossval import gap
    from gapgates.compute.datalab import data_issues
    from gapgates.data.splits import make_splits

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(700, 3)), columns=["a", "b", "c"])
    y = pd.Series((X["a"] > 0).astype(int))
    result = gap(
        LogisticRegression(),
        X,
        y,
        scoring=["accuracy"],
        splits=make_splits(X, y, classification=True, n_splits=3, n_repeats=1, seed=0),
    )
    found = data_issues(result.cv, X, y, classification=True, max_rows=200, seed=1)
    assert found.sampled and found.rows == 200 and found.total_rows == 700
    assert found.exact_duplicates == 0 and found.conflicting_labels == 0
