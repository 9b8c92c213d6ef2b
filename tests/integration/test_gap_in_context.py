"""The gap in context on a real table: a forest's large gap that costs nothing is a warning, a tree's is a block.

scikit-learn's bundled digits (1,797 rows, 10 classes). The policy sets ``max_gap = 0.02``, so the random forest
(train 1.000, test ~0.97) is over its limit; the strong baseline does not beat it, so it is promoted with a
``benign_gap`` warning. The unbounded decision tree (test ~0.85) is beaten by the strong baseline on the same
folds by far more than ``max_cost``: blocked as ``overfit``. In ``absolute`` mode both are blocked, as before.
"""

from __future__ import annotations

import pytest

from gapgates.config import CheckConfig
from gapgates.judge.checks import Outcome, Status
from gapgates.judge.policy import parse_policy
from gapgates.pipeline.definition import run_check

FOREST = "sklearn.ensemble.RandomForestClassifier"
TREE = "sklearn.tree.DecisionTreeClassifier"


@pytest.fixture(scope="module")
def digits_csv(tmp_path_factory):
    from sklearn.datasets import load_digits

    path = tmp_path_factory.mktemp("digits") / "digits.csv"
    load_digits(as_frame=True).frame.to_csv(path, index=False)
    return path


def _run(data, model, mode="contextual"):
    policy = parse_policy({"gap": {"max_gap": 0.02, "mode": mode, "max_repeats": 0}})
    config = CheckConfig(data=data, target="target", model=model, params={"n_estimators": 50} if model == FOREST else {})
    result = run_check(config, policy=policy)
    return result, next(c for c in result.decision.checks if c.name == "gap:accuracy")


def test_a_forest_whose_large_gap_costs_nothing_is_promoted_with_a_benign_gap_warning(digits_csv):
    result, check = _run(digits_csv, FOREST)
    g = result.evidence.gap.primary
    assert g.gap_ci_high > 0.02 and g.train_mean > 0.999  # over the limit: it interpolates its training rows
    assert check.status is Status.WARN and check.regime == "benign"
    assert result.decision.outcome is Outcome.PROMOTE and result.diagnosis.label == "benign_gap"
    strong = result.evidence.strong_baseline
    assert strong is not None and {r.name for r in strong.references} == {"hgb", "linear", "forest"}
    assert strong.best_reference.test_mean("accuracy") <= g.test_mean + 0.01
    assert "the strong baseline" in check.message and "benign gap" in check.message.lower()


def test_an_unbounded_tree_a_reference_beats_is_blocked_as_overfit(digits_csv):
    result, check = _run(digits_csv, TREE)
    assert check.status is Status.FAIL and check.regime == "harmful"
    assert result.decision.outcome is Outcome.BLOCK and result.diagnosis.label == "overfit"
    assert "costs held-out score" in result.diagnosis.explanation


def test_absolute_mode_blocks_the_forest_as_before(digits_csv):
    result, check = _run(digits_csv, FOREST, mode="absolute")
    assert check.status is Status.FAIL and check.regime is None
    assert result.decision.outcome is Outcome.BLOCK and result.diagnosis.label == "overfit"


def test_the_strong_baselines_fits_count_against_the_fit_ceiling(cancer_csv, monkeypatch):
    from collections import OrderedDict

    import gapgates.compute.baseline as baseline

    monkeypatch.setattr(baseline, "_CACHE", OrderedDict())  # an earlier test's run on this table cached its folds
    monkeypatch.delenv("GAPGATES_CACHE_DIR", raising=False)  # fitted here, not read from disk
    logreg = "gapgates.demo.scaled_logistic_regression"

    def strong(max_fits):
        config = CheckConfig(data=cancer_csv, target="target", model=logreg, max_fits=max_fits)
        return run_check(config, policy=parse_policy({"gap": {"max_repeats": 0}})).evidence.strong_baseline

    assert strong(5) is None  # the model's 5 fits leave no room for a reference
    one = strong(10)  # room for one reference's 5 fits: the first of [baseline] models
    assert [r.name for r in one.references] == ["hgb"] and one.fits == 5
    both = strong(15)
    assert [r.name for r in both.references] == ["hgb", "linear"]
    assert both.fits == 5  # the same data, folds, metrics and seed: hgb's folds come from the cache
    assert both.references[0].test == one.references[0].test
    three = strong(20)  # the shipped [baseline] models: hgb, linear, forest
    assert [r.name for r in three.references] == ["hgb", "linear", "forest"] and three.fits == 5  # the forest's 5


def test_the_reference_fits_made_while_deciding_the_repeats_are_counted(cancer_csv, monkeypatch):
    """The repeats step scores the strong baseline first (is a cost undecided?); the references step then finds every
    fold in the process's cache. The result counts the fits the run made, not the ones the last call made (0)."""
    from collections import OrderedDict

    import gapgates.compute.baseline as baseline

    monkeypatch.delenv("GAPGATES_CACHE_DIR", raising=False)  # fitted here, not read from disk
    monkeypatch.setattr(baseline, "_CACHE", OrderedDict())
    config = CheckConfig(data=cancer_csv, target="target", model="gapgates.demo.scaled_logistic_regression")
    result = run_check(config)
    assert result.evidence.gap.repeats is not None and result.evidence.gap.repeats.added == 0
    assert result.evidence.strong_baseline.fits == 15  # 3 references × 5 folds
    again = run_check(config)  # every fold cached by the first run: this run fits none
    assert again.evidence.strong_baseline.fits == 0
