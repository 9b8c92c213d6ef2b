"""``[gap.per_metric.<scoring name>]``: one metric's gap limits overriding ``[gap]``'s, on both sides of each limit."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier

from gapgates.compute.crossval import gap
from gapgates.errors import PolicyError
from gapgates.judge.checks import Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import load_policy, parse_policy
from gapgates.judge.rules import evaluate
from gapgates.judge.straddles import undecided
from tests.helpers import invoke

METRICS = ["accuracy", "neg_log_loss"]
POLICY = {"gap": {"metrics": METRICS, "max_gap": 0.05, "gate_on": "mean", "per_metric": {"neg_log_loss": {"max_gap": 0.3}}}}


@pytest.fixture(scope="module")
def gaps():
    """Mean gaps (accuracy, log loss) of three real models: both small; log loss large; accuracy large."""
    X, y = make_classification(400, 10, n_informative=4, random_state=0, flip_y=0.05)
    X, y = pd.DataFrame(X), pd.Series(y)
    models = {
        "both_within": KNeighborsClassifier(15),
        "log_loss_over": KNeighborsClassifier(6),
        "accuracy_over": RandomForestClassifier(50, min_samples_leaf=10, random_state=0),
    }
    return {name: gap(model, X, y, scoring=METRICS, n_splits=5) for name, model in models.items()}


def _statuses(policy: dict, result) -> dict[str, Status]:
    return {c.name: c.status for c in evaluate(parse_policy(policy), Evidence(gap=result)).checks if c.name.startswith("gap:")}


def test_each_metric_is_judged_by_its_own_limit_on_both_sides(gaps):
    within, ll_over, acc_over = (gaps[k].metrics for k in ("both_within", "log_loss_over", "accuracy_over"))
    assert within["accuracy"].gap_mean < 0.05 and 0.05 < within["neg_log_loss"].gap_mean < 0.3
    assert ll_over["accuracy"].gap_mean < 0.05 < 0.3 < ll_over["neg_log_loss"].gap_mean
    assert acc_over["accuracy"].gap_mean > 0.05 and acc_over["neg_log_loss"].gap_mean < 0.3

    assert _statuses(POLICY, gaps["both_within"]) == {"gap:accuracy": Status.PASS, "gap:neg_log_loss": Status.PASS}
    assert _statuses(POLICY, gaps["log_loss_over"]) == {"gap:accuracy": Status.PASS, "gap:neg_log_loss": Status.FAIL}
    assert _statuses(POLICY, gaps["accuracy_over"]) == {"gap:accuracy": Status.FAIL, "gap:neg_log_loss": Status.PASS}
    # without the table, [gap] max_gap = 0.05 judges log loss too, and its 0.11 gap fails
    flat = {"gap": {k: v for k, v in POLICY["gap"].items() if k != "per_metric"}}
    assert _statuses(flat, gaps["both_within"])["gap:neg_log_loss"] is Status.FAIL
    checks = {c.name: c for c in evaluate(parse_policy(POLICY), Evidence(gap=gaps["log_loss_over"])).checks}
    assert checks["gap:neg_log_loss"].limit == 0.3 and checks["gap:accuracy"].limit == 0.05


def test_severity_and_relative_gap_are_overridden_per_metric(gaps):
    warn = {"gap": {**POLICY["gap"], "per_metric": {"neg_log_loss": {"max_gap": 0.3, "severity": "warn"}}}}
    decision = evaluate(parse_policy(warn), Evidence(gap=gaps["log_loss_over"]))
    assert {c.name: c.status for c in decision.checks}["gap:neg_log_loss"] is Status.WARN
    relative = {
        "gap": {
            "metrics": METRICS,
            "max_gap": 1.0,
            "max_relative_gap": 10.0,
            "gate_on": "mean",
            "per_metric": {"accuracy": {"max_relative_gap": 0.01}},
        }
    }
    statuses = {c.name: c.status for c in evaluate(parse_policy(relative), Evidence(gap=gaps["accuracy_over"])).checks}
    assert statuses["relative_gap:accuracy"] is Status.FAIL and statuses["relative_gap:neg_log_loss"] is Status.PASS


def test_repeats_are_spent_on_the_metric_limit(gaps):
    upper = {"gap": {**POLICY["gap"], "gate_on": "upper"}}
    straddled = {s.check: s.limit for s in undecided(parse_policy(upper), gaps["both_within"])}
    assert straddled == {"gap:accuracy": 0.05, "gap:neg_log_loss": 0.3}  # log loss's estimate is within 0.3 only


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[gap.per_metric.neg_log_los]\nmax_gap = 0.3\n", "must name a scikit-learn scoring name"),
        ("[gap.per_metric.neg_log_loss]\nmax_gapp = 0.3\n", "unknown key 'gap.per_metric.neg_log_loss.max_gapp'"),
        ('[gap]\nmetrics = ["accuracy"]\n[gap.per_metric.neg_log_loss]\nmax_gap = 0.3\n', "must name a metric of [gap] metrics"),
        ("[gap.per_metric.accuracy]\nmax_gap = 3\n", "'per_metric.accuracy.max_gap' limit must be a number between 0 and 1"),
        ("[gap.per_metric]\naccuracy = 0.1\n", "must be a table like {max_gap = 0.3"),
    ],
)
def test_a_bad_per_metric_table_is_a_one_line_exit_2(tmp_path, table, message):
    (tmp_path / "p.toml").write_text(table)
    with pytest.raises(PolicyError, match="per_metric"):
        load_policy(tmp_path / "p.toml")
    (tmp_path / "d.csv").write_text("a,label\n1,0\n2,1\n")
    done = invoke(
        "check",
        "--data",
        tmp_path / "d.csv",
        "--target",
        "label",
        "--model",
        "sklearn.linear_model.LogisticRegression",
        "--policy",
        tmp_path / "p.toml",
    )
    assert done.exit_code == 2 and message in done.output and len(done.output.strip().splitlines()) == 1
