"""Integration: a run whose interval straddles its limit adds repeats of k-fold until it clears, or
spends the budget and follows ``on_fail`` with an inconclusive diagnosis; both sides of each limit.

Breast cancer with a scaled logistic regression and the default policy: with seed 11 the 5-fold
accuracy interval is [−0.024, 0.054], straddling ``max_gap = 0.05`` with the mean gap at 0.015.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from gapgates.cli import cli
from gapgates.compute.crossval import gap
from gapgates.config import make_config
from gapgates.data.splits import make_splits
from gapgates.judge.checks import Outcome, Status
from gapgates.judge.policy import parse_policy
from gapgates.pipeline.definition import run_check
from gapgates.report.schema import validate_report

LOGREG = "gapgates.demo.scaled_logistic_regression"
TREE = "sklearn.tree.DecisionTreeClassifier"
STRADDLING_SEED = 11


def _run(data: Path, policy: dict | None = None, *, seed: int = STRADDLING_SEED, model: str = LOGREG, **options):
    # the repeats of a straddling gap interval, judged by the gap alone (mode = "absolute", no strong baseline
    # fitted: the fit ceiling counts the model's fits only); the contextual mode's repeats are in test_gap_in_context
    config = make_config({"data": data, "target": "target", "model": model, "seed": seed, **options})
    policy = policy or {}
    absolute = {**policy, "gap": {"mode": "absolute", **policy.get("gap", {})}, "baseline": {"models": []}}
    return run_check(config, policy=parse_policy(absolute))


def _check(result, name: str = "gap:accuracy"):
    return {c.name: c for c in result.decision.checks}[name]


def test_a_straddling_interval_gets_one_more_repeat_and_clears(cancer_csv):
    result = _run(cancer_csv)
    g, check = result.evidence.gap, _check(result)
    assert result.decision.outcome is Outcome.PROMOTE and check.status is Status.PASS
    assert g.n_folds == 10 and g.repeats.added == 1 and g.repeats.extra_fits == 5 and g.repeats.unresolved == ()
    first = g.repeats.straddled[0]
    assert first.check == "gap:accuracy" and first.low <= 0.05 < first.high
    assert g.primary.gap_ci_high <= 0.05 < first.high
    assert check.margin == pytest.approx(0.05 - g.primary.gap_ci_high)
    assert check.repeats.added == 1 and not check.repeats.inconclusive and "After 1 extra repeat of 5-fold" in check.message
    assert result.diagnosis.label == "healthy"


def test_the_added_repeat_is_the_second_repeat_of_repeated_kfold_with_the_seed(cancer_csv):
    adaptive = _run(cancer_csv).evidence.gap
    prep_X = pd.read_csv(cancer_csv).drop(columns="target")
    y = pd.read_csv(cancer_csv)["target"]
    two = make_splits(prep_X, y, classification=True, n_splits=5, n_repeats=2, seed=STRADDLING_SEED)
    for (tr, te), (etr, ete) in zip(adaptive.cv.splits, two, strict=True):
        np.testing.assert_array_equal(te, ete)
        np.testing.assert_array_equal(tr, etr)
    from gapgates.demo import scaled_logistic_regression

    whole = gap(scaled_logistic_regression(), prep_X, y, splits=two).primary
    assert adaptive.primary.test == pytest.approx(whole.test) and adaptive.primary.train == pytest.approx(whole.train)


def test_without_a_budget_the_same_seed_blocks_on_the_straddling_bound(cancer_csv):
    result = _run(cancer_csv, {"gap": {"max_repeats": 0}})
    check = _check(result)
    assert result.decision.outcome is Outcome.BLOCK and check.status is Status.FAIL
    assert result.evidence.gap.n_folds == 5 and result.evidence.gap.repeats is None and check.repeats is None
    assert check.margin == pytest.approx(0.05 - result.evidence.gap.primary.gap_ci_high) and check.margin < 0


def test_the_fit_ceiling_caps_the_added_repeats(cancer_csv):
    # 5 planned fits and a ceiling of 9 leave room for no whole 5-fold repeat: as with max_repeats = 0,
    # the straddling bound decides
    capped = _run(cancer_csv, max_fits=9)
    assert capped.evidence.gap.n_folds == 5 and capped.evidence.gap.repeats is None
    assert capped.decision.outcome is Outcome.BLOCK and _check(capped).status is Status.FAIL
    # a ceiling of 10 leaves room for exactly the one repeat that clears it
    room = _run(cancer_csv, max_fits=10)
    assert room.evidence.gap.repeats.budget == 1 and room.evidence.gap.repeats.added == 1
    assert room.decision.outcome is Outcome.PROMOTE


@pytest.mark.parametrize(("on_fail", "outcome"), [("needs_approval", Outcome.NEEDS_APPROVAL), ("block", Outcome.BLOCK)])
def test_a_spent_budget_follows_on_fail_and_the_diagnosis_says_inconclusive(cancer_csv, on_fail, outcome):
    # max_gap 0.02 sits inside the interval of a mean gap of ~0.013: two repeats do not settle it
    result = _run(cancer_csv, {"gap": {"max_gap": 0.02, "max_repeats": 2}, "decision": {"on_fail": on_fail}}, seed=0)
    g, check = result.evidence.gap, _check(result)
    assert result.decision.outcome is outcome
    assert g.repeats.added == 2 and g.n_folds == 15 and g.repeats.unresolved == ("gap:accuracy",)
    assert g.primary.gap_ci_low <= 0.02 < g.primary.gap_ci_high and g.primary.gap_mean <= 0.02
    assert check.status is Status.FAIL and check.repeats.inconclusive and check.message.count("Inconclusive") == 1
    assert result.diagnosis.label == "inconclusive" and "overfit" not in result.diagnosis.also
    assert any(m.startswith("Add data") for m in result.diagnosis.mitigations)
    assert "the policy's on_fail decides" in result.diagnosis.explanation


def test_a_straddling_interval_whose_mean_is_above_the_limit_adds_nothing(cancer_csv):
    # the unbounded tree: 5-fold interval [0.028, 0.119] around a mean gap of 0.074
    result = _run(cancer_csv, model=TREE, seed=0)
    g = result.evidence.gap
    assert g.primary.gap_ci_low <= 0.05 < g.primary.gap_ci_high and g.primary.gap_mean > 0.05
    assert g.repeats.added == 0 and g.repeats.straddled == () and g.n_folds == 5
    assert result.decision.outcome is Outcome.BLOCK and result.diagnosis.label == "overfit"


def test_gate_on_mean_adds_no_repeats(cancer_csv):
    result = _run(cancer_csv, {"gap": {"max_gap": 0.02, "gate_on": "mean"}}, seed=0)
    assert result.evidence.gap.repeats.added == 0 and result.evidence.gap.n_folds == 5
    assert _check(result).status is Status.PASS and _check(result).value == result.evidence.gap.primary.gap_mean


@pytest.mark.parametrize("column", ["group", "time"])
def test_no_repeats_with_a_group_or_time_column(cancer_csv, tmp_path, column):
    frame = pd.read_csv(cancer_csv)
    frame["key"] = np.arange(len(frame)) % 40 if column == "group" else np.arange(len(frame))
    data = tmp_path / "keyed.csv"
    frame.to_csv(data, index=False)
    result = _run(data, {"gap": {"max_gap": 0.02}}, seed=0, **{column: "key"})
    assert result.evidence.gap.repeats is None and result.evidence.gap.n_folds == 5


def test_the_same_seed_gives_the_same_numbers(cancer_csv):
    a, b = (_run(cancer_csv).evidence.gap for _ in range(2))
    assert a.to_dict() == b.to_dict() and a.repeats == b.repeats


def test_progress_counts_the_added_folds(cancer_csv):
    seen: list[tuple[int, int]] = []
    config = make_config({"data": cancer_csv, "target": "target", "model": LOGREG, "seed": STRADDLING_SEED})
    run_check(config, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (10, 10) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_the_report_summary_and_champion_use_every_fitted_fold(cancer_csv, tmp_path):
    out, registry = tmp_path / "out", tmp_path / "registry"
    args = [
        "check",
        "--data",
        str(cancer_csv),
        "--target",
        "target",
        "--model",
        LOGREG,
        "--seed",
        str(STRADDLING_SEED),
        "--out",
        str(out),
        "--registry",
        str(registry),
        "--promote",
    ]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "10 folds (1 repeat of 5-fold added)" in first.output
    assert "gap:accuracy upper bound 0.03216 after 1 extra repeat; limit 0.05 (margin 0.01784)" in first.output
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    assert report["cv"]["adaptive"]["added"] == 1 and report["cv"]["adaptive"]["extra_fits"] == 5
    assert report["cv"]["adaptive"]["straddled"][0]["check"] == "gap:accuracy"
    check = next(c for c in report["checks"] if c["name"] == "gap:accuracy")
    assert check["repeats"]["added"] == 1 and check["margin"] == pytest.approx(0.05 - check["value"])
    assert all("margin" in c for c in report["checks"])
    markdown = (out / "report.md").read_text()
    assert "- gap:accuracy upper bound 0.03216 after 1 extra repeat; limit 0.05" in markdown
    assert "1 extra repeat of 5-fold (5 fits) was added" in markdown and "| margin |" in markdown
    html = (out / "report.html").read_text()
    assert "after 1 extra repeat; limit 0.05" in html and ">margin</th>" in html
    second = CliRunner().invoke(cli, args)  # production v1 (fit on every row) is the champion now
    assert second.exit_code in (0, 1), second.output
    champion = json.loads((out / "report.json").read_text())["champion"]
    assert champion["version"] == "v1" and len(champion["test"]) == 10  # scored on the same 10 folds
