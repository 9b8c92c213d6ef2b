"""Weak segments inside whole gate runs: a planted weak category is reported first and its floor blocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

LOGREG = "sklearn.linear_model.LogisticRegression"


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def planted(path, *, plant: bool, n: int = 900, seed: int = 0):
    """Linear labels on x1 + x2, four regions; with ``plant`` the labels of region d are coin flips."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    region = rng.choice(list("abcd"), size=n)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    if plant:
        y[region == "d"] = rng.integers(0, 2, int((region == "d").sum()))
    df = pd.DataFrame(X, columns=["x1", "x2", "x3"]).assign(region=region, label=y)
    df.to_csv(path, index=False)
    return path


def judged(data, policy):
    from gapgates.config import make_config
    from gapgates.judge.policy import parse_policy
    from gapgates.pipeline.definition import run_check

    config = make_config({"data": data, "target": "label", "model": LOGREG, "folds": 3})
    return run_check(config, policy=parse_policy(policy))


POLICY = {"noise": {"max_rate": 1.0, "max_confident_error_ratio": 100}, "segments": {"min_test_score": 0.75, "max_gap": 0.2}}


def _check(result, name):
    return next(c for c in result.decision.checks if c.name == name)


def test_planted_weak_segment_is_first_and_its_floor_blocks(tmp_path):
    result = judged(planted(tmp_path / "plant.csv", plant=True), POLICY)
    seg = result.evidence.segments
    worst = seg.segments[0]
    assert worst.description == "region = d"
    assert worst.kind == "value" and worst.columns == ("region",)
    assert 0.35 < worst.test < 0.65 and worst.low < worst.test < worst.high < 0.75  # coin flips, Wilson interval
    assert worst.rows == int((pd.read_csv(tmp_path / "plant.csv")["region"] == "d").sum())
    assert seg.metric == "accuracy" and seg.interval == "wilson"
    # every other slice is far better: the plant is not buried among chance slices
    assert all(s.test > worst.high for s in seg.segments[1:] if "region = d" not in s.description)
    # per-row train scores exist (fold models on their own training rows), so every segment has a gap
    assert worst.train is not None and worst.gap == pytest.approx(worst.train - worst.test)
    check = _check(result, "segments:min_test_score")
    assert check.status.value == "fail" and check.value == pytest.approx(worst.high)
    assert "region = d" in check.message
    assert result.decision.outcome.value == "block"
    # whatever the diagnosis of the gap, the advice names the blocking segment, never "nothing to fix"
    mitigations = result.diagnosis.mitigations
    assert any("region = d" in m for m in mitigations) and not any("Nothing to fix" in m for m in mitigations)


def test_without_the_plant_the_floor_passes(tmp_path):
    result = judged(planted(tmp_path / "clean.csv", plant=False), POLICY)
    assert _check(result, "segments:min_test_score").status.value == "pass"
    assert _check(result, "segments:max_gap").status.value == "pass"
    assert result.decision.outcome.value == "promote"
    assert result.evidence.segments.segments[0].test > 0.85


def test_segment_rules_are_off_by_default_and_listed_worst_first(tmp_path):
    result = judged(planted(tmp_path / "plant.csv", plant=True), {"noise": {"max_rate": 1.0, "max_confident_error_ratio": 100}})
    assert not [c for c in result.decision.checks if c.name.startswith("segments:")]
    highs = [s.high for s in result.evidence.segments.segments]
    assert highs == sorted(highs)
    assert all(s.rows >= 30 for s in result.evidence.segments.segments)
