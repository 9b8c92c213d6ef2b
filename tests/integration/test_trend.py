"""The trend check in real gate runs: a recorded history judged, an unreadable one failing only when judged."""

from __future__ import annotations

import pytest

from gapgates.errors import ConfigError
from gapgates.history import History, MetricRecord, RunRecord
from gapgates.judge.policy import parse_policy
from tests.helpers import load, real_run


def _seed(path, model: str, gaps: list[float]) -> None:
    db = History(path)
    for i, g in enumerate(gaps):
        db.add(
            RunRecord(
                f"2026-01-0{i + 1}T00:00:00+00:00", model, None, None, "promote", "accuracy", {"accuracy": MetricRecord(g, g, g)}
            )
        )


def test_end_to_end_a_real_run_judges_its_recorded_history(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "[gap]\nmax_gap = 1.0\n"
        "[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n[trend]\nmax_gap_increase = 0.05\nwindow = 3\n",
        encoding="utf-8",
    )
    history = tmp_path / "h.sqlite"
    # the unbounded tree's gap on this data is ~0.3: after a flat ~0.0 history that is a widening; after ~0.3 it is flat
    _seed(history, "widening", [0.0, 0.0, 0.0])
    report = load(real_run(tmp_path, name="widening", policy=policy, history=history))
    gap = report["gap"]["accuracy"]["gap_mean"]
    assert gap > 0.2
    trend = next(c for c in report["checks"] if c["name"] == "trend")
    assert trend["status"] == "fail" and report["decision"] == "block"
    assert len(report["history"]["runs"]) == 3 and report["history"]["increase"] == pytest.approx(trend["value"])
    _seed(history, "flat", [gap] * 3)
    report = load(real_run(tmp_path, name="flat", policy=policy, history=history))
    trend = next(c for c in report["checks"] if c["name"] == "trend")
    assert trend["status"] == "pass" and report["decision"] == "promote"
    assert len(History(history).runs(model="flat")) == 4  # the run itself was recorded


def test_a_history_that_is_not_a_gapgates_history_is_refused_before_any_fit(tmp_path):
    from gapgates.config import make_config
    from gapgates.pipeline.definition import run_check
    from tests.helpers import noisy_classification

    data = tmp_path / "d.csv"
    noisy_classification(n=200).to_csv(data, index=False)
    broken = tmp_path / "not-a-db.sqlite"
    broken.write_text("garbage " * 200, encoding="utf-8")
    config = make_config(
        {"data": data, "target": "label", "model": "sklearn.linear_model.LogisticRegression", "folds": 3, "history": broken}
    )
    before = broken.read_bytes()
    # the run would record itself there: a file that is not a gapgates history is refused before any fit
    for policy in ({"trend": {"max_gap_increase": 0.05}}, {}):
        with pytest.raises(ConfigError, match="is not a gapgates history"):
            run_check(config, policy=parse_policy(policy))
    assert broken.read_bytes() == before
