"""Label noise from the gap pass's out-of-fold probabilities: accuracy, cleanlab parity, no extra fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cleanlab.filter import find_label_issues
from cleanlab.rank import get_label_quality_scores
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from gapgates.compute.crossval import CrossValidation, GapResult, gap, summarize_gap
from gapgates.compute.noise import NoiseResult, label_noise
from gapgates.compute.noise_adjusted import noise_adjusted_gap
from gapgates.data.splits import make_splits
from gapgates.format import fmt
from gapgates.judge.checks import Outcome, Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy
from gapgates.judge.rules import evaluate


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """BLAS threads oversubscribe a shared 2-core machine (a 1 s pass takes 30 s); one per process."""
    with threadpool_limits(limits=1):
        yield


def flipped_digits(rate: float = 0.10, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """Digits with ``rate`` of the labels replaced by another class at random; returns the flipped mask."""
    X, y = load_digits(return_X_y=True, as_frame=True)
    rng = np.random.default_rng(seed)
    flipped = rng.random(len(y)) < rate
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, 10, size=len(y))[flipped]) % 10
    return X, noisy, flipped


def scaled_lr() -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


@pytest.fixture(scope="module")
def noisy_pass():
    X, y, flipped = flipped_digits()
    with threadpool_limits(limits=1):
        result = gap(scaled_lr(), X, y)
    return X, y, flipped, result


@pytest.fixture(scope="module")
def clean_pass():
    X, y = load_digits(return_X_y=True, as_frame=True)
    with threadpool_limits(limits=1):
        result = gap(scaled_lr(), X, y)
    return X, y, result


def test_flagged_rows_find_the_flipped_labels(noisy_pass):
    _, y, flipped, result = noisy_pass
    noise = label_noise(result.cv, y)
    flagged = np.zeros(len(y), dtype=bool)
    flagged[noise.positions] = True
    precision = (flagged & flipped).sum() / flagged.sum()
    recall = (flagged & flipped).sum() / flipped.sum()
    assert precision >= 0.7 and recall >= 0.85, (precision, recall)
    assert noise.n_issues == flagged.sum() and noise.rate == pytest.approx(flagged.sum() / len(y))


def test_flagged_rows_are_exactly_cleanlabs(noisy_pass):
    _, y, _, result = noisy_pass
    noise = label_noise(result.cv, y, filter_by="both")
    labels = np.searchsorted(result.cv.classes, y.to_numpy())
    direct = find_label_issues(labels, result.cv.oof_proba, filter_by="both")
    assert np.array_equal(noise.positions, np.flatnonzero(direct))
    quality = get_label_quality_scores(labels, result.cv.oof_proba)
    assert [i.quality for i in noise.issues] == sorted(quality[direct])  # worst first
    default = label_noise(result.cv, y)
    assert np.array_equal(default.positions, np.flatnonzero(find_label_issues(labels, result.cv.oof_proba)))


def test_issues_name_file_rows_given_and_suggested_labels(noisy_pass):
    _, y, _, result = noisy_pass
    noise = label_noise(result.cv, y, row_ids=np.arange(len(y)) + 1000)
    worst = noise.issues[0]
    pos = worst.row - 1000
    assert worst.given == y.iloc[pos]
    assert worst.suggested == result.cv.classes[np.argmax(result.cv.oof_proba[pos])]
    assert worst.suggested != worst.given
    assert all(a.quality <= b.quality for a, b in zip(noise.issues, noise.issues[1:], strict=False))
    assert sum(c["issues"] for c in noise.per_class.values()) == noise.n_issues
    assert set(noise.per_class) == {str(k) for k in range(10)}
    assert all(0 <= c["estimated_noise"] <= 1 for c in noise.per_class.values())
    as_json = noise.to_dict()
    assert as_json["issues"][0] == {
        "row": worst.row,
        "given": int(worst.given),
        "suggested": int(worst.suggested),
        "quality": round(worst.quality, 6),
    }


def test_max_rate_blocks_noisy_digits_and_passes_clean_digits(noisy_pass, clean_pass):
    _, y, _, result = noisy_pass
    noisy = label_noise(result.cv, y)
    policy = Policy.model_validate({"noise": {"max_rate": 0.05}})
    blocked = evaluate(policy, Evidence(gap=result, noise=noisy))
    check = next(c for c in blocked.checks if c.name == "label_noise")
    assert check.status is Status.FAIL and check.value > 0.05 and blocked.outcome is Outcome.BLOCK
    loose = Policy.model_validate({"noise": {"max_rate": 0.2}})
    loose_check = next(c for c in evaluate(loose, Evidence(noise=noisy)).checks if c.name == "label_noise")
    assert loose_check.status is Status.PASS
    _, y_clean, clean = clean_pass
    passed = next(c for c in evaluate(policy, Evidence(noise=label_noise(clean.cv, y_clean))).checks if c.name == "label_noise")
    assert passed.status is Status.PASS and passed.value < 0.05


def test_max_class_rate_on_both_sides(noisy_pass):
    _, y, _, result = noisy_pass
    noise = label_noise(result.cv, y)
    worst = noise.max_class_rate
    for limit, status in ((worst - 0.01, Status.FAIL), (worst + 0.01, Status.PASS)):
        policy = Policy.model_validate({"noise": {"max_rate": 1.0, "max_class_rate": limit}})
        check = next(c for c in evaluate(policy, Evidence(noise=noise)).checks if c.name == "label_noise:class")
        assert check.status is status and check.value == pytest.approx(worst)


def test_noise_adjusted_gap_rescores_without_flagged_rows(noisy_pass):
    X, y, _, result = noisy_pass
    noise = label_noise(result.cv, y)
    same = noise_adjusted_gap(result, X, y, [], scoring=["accuracy"])
    assert same.metrics["accuracy"].test == pytest.approx(result.primary.test)  # scoring only: same models
    adjusted = noise_adjusted_gap(result, X, y, noise.positions, scoring=["accuracy"])
    a, raw = adjusted.metrics["accuracy"], result.primary
    assert a.train == raw.train and adjusted.removed == noise.n_issues
    assert a.test_mean > raw.test_mean + 0.05 and a.gap_mean < raw.gap_mean - 0.05
    assert adjusted.memorised < 0.5  # a regularised model does not learn the wrong labels


def test_model_without_predict_proba_is_skipped_not_a_crash():
    X, y = make_classification(200, 5, random_state=0)
    X = pd.DataFrame(X)
    result = gap(LinearSVC(), X, pd.Series(y))
    noise = label_noise(result.cv, pd.Series(y))
    assert noise.skipped is not None and "LinearSVC has no predict_proba" in noise.skipped and noise.rate is None
    check = next(c for c in evaluate(Policy(), Evidence(gap=result, noise=noise)).checks if c.name == "label_noise")
    assert check.status is Status.SKIPPED and "predict_proba" in check.message


def test_regression_is_skipped_with_the_reason():
    X, y = make_regression(200, 5, random_state=0)
    result = gap(LinearRegression(), pd.DataFrame(X), pd.Series(y))
    noise = label_noise(result.cv, pd.Series(y))
    assert noise.skipped is not None and "regressor" in noise.skipped
    assert noise.to_dict()["skipped"] == noise.skipped


def test_not_computed_noise_is_skipped():
    check = next(c for c in evaluate(Policy(), Evidence()).checks if c.name == "label_noise")
    assert check.status is Status.SKIPPED and "not computed" in check.message


def test_noise_step_error_fails_the_gate():
    decision = evaluate(Policy(), Evidence(errors={"noise": "label noise could not be computed: boom"}))
    check = next(c for c in decision.checks if c.name == "label_noise")
    assert check.status is Status.FAIL and "boom" in check.message


def test_time_series_split_judges_only_covered_rows():
    X, y = make_classification(300, 5, random_state=0)
    X, y = pd.DataFrame(X), pd.Series(y)
    splits = make_splits(X, y, classification=True, n_splits=4, time=pd.Series(np.arange(300)))
    result = gap(LogisticRegression(), X, y, splits=splits)
    noise = label_noise(result.cv, y)
    covered = result.cv.covered
    assert not covered.all() and noise.rows == covered.sum()
    assert all(covered[p] for p in noise.positions)


def test_a_pass_without_fold_models_is_skipped_with_a_reason_that_names_no_type():
    """mypy found it: with no fold models the skip reason named ``NoneType`` as the model."""
    from gapgates.compute.crossval import CrossValidation

    y = pd.Series([0, 1] * 10)
    cv = CrossValidation(
        splits=[], estimators=(), classes=None, oof_proba=None, oof_pred=np.zeros(20), covered=np.ones(20, bool),
        fit_seconds=0.0,
    )  # fmt: skip
    result = label_noise(cv, y)
    assert result.skipped is not None and "NoneType" not in result.skipped
    assert "no fold models" in result.skipped


# --- the first-run rule: contradictions among the model's surest rows (label_noise:confident) --------------------------


def _graded(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Binary out-of-fold probabilities with distinct confidences from 0.5 to 1, and labels agreeing with them."""
    rng = np.random.default_rng(seed)
    p1 = rng.uniform(0.0, 1.0, size=n)
    proba = np.column_stack([1 - p1, p1])
    return (p1 >= 0.5).astype(int), proba


def _confident_noise(labels: np.ndarray, proba: np.ndarray, **kwargs) -> NoiseResult:
    from gapgates.compute.noise import confident_errors

    return NoiseResult(
        rows=labels.size, n_issues=0, rate=0.1, per_class={}, issues=(), filter_by="both",
        confident=confident_errors(labels, proba, **kwargs),
    )  # fmt: skip


def _confident_check(evidence: Evidence, policy: Policy | None = None):
    return next(c for c in evaluate(policy or Policy(), evidence).checks if c.name == "label_noise:confident")


def test_errors_where_the_model_hesitates_give_a_low_ratio_random_flips_a_high_one():
    labels, proba = _graded()
    conf = proba.max(axis=1)
    hard = labels.copy()
    unsure = np.flatnonzero(conf < 0.6)  # clean but hard: the errors gather near the boundary
    hard[unsure[::3]] ^= 1
    flipped = labels.copy()
    flipped[np.random.default_rng(1).choice(labels.size, size=100, replace=False)] ^= 1  # 10 % anywhere
    low = _confident_noise(hard, proba).confident
    high = _confident_noise(flipped, proba).confident
    assert low.ratio == 0.0 and low.error_rate > 0.05
    assert 0.6 < high.ratio < 1.5 and high.confident_rate == pytest.approx(0.1, abs=0.04)


def test_probabilities_that_tie_at_the_top_do_not_rank_rows():
    labels = np.array([0, 1] * 50)
    proba = np.eye(2)[np.r_[labels[:90], 1 - labels[90:]]]  # an unbounded tree: every row at 1.0
    c = _confident_noise(labels, proba).confident
    assert c.ratio is None and c.error_rate == pytest.approx(0.1)
    check = _confident_check(Evidence(noise=_confident_noise(labels, proba)))
    assert check.status is Status.SKIPPED and "do not rank" in check.message


def test_confident_rule_on_both_sides_of_its_limit_on_a_first_run():
    labels, proba = _graded()
    flipped = labels.copy()
    flipped[np.random.default_rng(2).choice(labels.size, size=100, replace=False)] ^= 1
    noise = _confident_noise(flipped, proba)
    ratio = noise.confident.ratio
    below = Policy.model_validate({"noise": {"max_confident_error_ratio": ratio - 0.01}})
    above = Policy.model_validate({"noise": {"max_confident_error_ratio": ratio + 0.01}})
    assert _confident_check(Evidence(noise=noise), below).status is Status.FAIL
    assert _confident_check(Evidence(noise=noise), above).status is Status.PASS
    assert _confident_check(Evidence(noise=noise)).status is Status.FAIL  # the shipped limit 0.6


def test_confident_rule_gives_way_to_the_reference_and_fails_when_it_cannot_be_read():
    from gapgates.compute.noise_reference import NoiseReference

    labels, proba = _graded()
    flipped = labels.copy()
    flipped[np.random.default_rng(3).choice(labels.size, size=100, replace=False)] ^= 1
    noise = _confident_noise(flipped, proba)
    with_reference = _confident_check(Evidence(noise=noise, noise_reference=NoiseReference(0.1, source="history", version="t")))
    assert with_reference.status is Status.SKIPPED and "max_rate_increase" in with_reference.message
    unread = _confident_check(Evidence(noise=noise, errors={"noise_reference": "history unreadable"}))
    assert unread.status is Status.FAIL
    no_rate = _confident_check(Evidence(noise=noise, noise_reference=NoiseReference(None, reason="none yet")))
    assert no_rate.status is Status.FAIL  # a reference without a rate is still a first run


def _gap10() -> GapResult:
    """A mean accuracy gap of 0.10 (train 1.0), over the shipped 0.05 limit."""
    g = summarize_gap("accuracy", [1.0] * 5, [0.89, 0.91, 0.90, 0.88, 0.92], n_train=80, n_test=20)
    cv = CrossValidation(splits=[], estimators=(), classes=None, oof_proba=None, oof_pred=None, covered=None, fit_seconds=0.0)
    return GapResult(metrics={"accuracy": g}, classification=True, n_folds=5, confidence=0.95, cv=cv)


GAP10 = _gap10()


def test_spread_contradictions_are_diagnosed_noise_even_when_the_folds_memorise_them():
    from dataclasses import replace

    from gapgates.compute.noise_adjusted import NoiseAdjustedGap
    from gapgates.judge.diagnosis import diagnose

    labels, proba = _graded()
    flipped = labels.copy()
    flipped[np.random.default_rng(4).choice(labels.size, size=100, replace=False)] ^= 1
    memorised = NoiseAdjustedGap(metrics={}, removed=100, memorised=1.0)
    spread = replace(_confident_noise(flipped, proba), adjusted=memorised)
    evidence = Evidence(noise=spread)
    diagnosis = diagnose(evidence, evaluate(Policy(), evidence))
    assert diagnosis.label == "noise" and "surest" in diagnosis.explanation
    hard = labels.copy()
    hard[np.flatnonzero(proba.max(axis=1) < 0.6)[::3]] ^= 1
    memorising = replace(_confident_noise(hard, proba), rate=0.4, adjusted=memorised)  # max_rate breached, memorised
    # with a gap that costs held-out score (judged alone, settled), memorised flags are overfitting
    absolute = Policy.model_validate({"gap": {"mode": "absolute"}})
    evidence = Evidence(noise=memorising, gap=GAP10)
    decision = evaluate(absolute, evidence)
    assert next(c for c in decision.checks if c.name == "label_noise").status is Status.FAIL
    assert diagnose(evidence, decision).label == "overfit"
    # with nothing that says overfit (a gap within its limit), the breached noise rule is the block's explanation
    lenient = Policy.model_validate({"gap": {"max_gap": 1.0}})
    decision = evaluate(lenient, evidence)
    assert decision.outcome is Outcome.BLOCK
    assert diagnose(evidence, decision).label == "noise"


def test_flips_that_leave_the_model_at_the_dummy_are_noise_not_underfit():
    from gapgates.compute.baseline import BaselineResult
    from gapgates.judge.diagnosis import diagnose

    X, y = load_digits(return_X_y=True, as_frame=True)
    with threadpool_limits(limits=1):
        result = gap(scaled_lr(), X.iloc[:400], y.iloc[:400])
    p = result.primary
    at_the_dummy = BaselineResult(model="dummy", test_mean={p.metric: p.test_mean}, train_mean={p.metric: p.test_mean})
    labels, proba = _graded()
    flipped = labels.copy()
    flipped[np.random.default_rng(5).choice(labels.size, size=100, replace=False)] ^= 1
    lenient = Policy.model_validate({"gap": {"max_gap": 1.0}, "noise": {"max_confident_error_ratio": 5.0}})
    evidence = Evidence(gap=result, baseline=at_the_dummy, noise=_confident_noise(flipped, proba))
    assert diagnose(evidence, evaluate(lenient, evidence)).label == "underfit"
    strict = Policy.model_validate({"gap": {"max_gap": 1.0}})  # the shipped confident limit, 0.6
    assert diagnose(evidence, evaluate(strict, evidence)).label == "noise"


def test_a_model_that_fits_its_rows_but_not_the_dummy_is_overfit_not_underfit():
    """Train 1.0, test under the dummy's (an unbounded tree on an imbalanced table): it memorises rows that do not
    generalise. The same test score with a train score near the dummy's is underfit."""
    from gapgates.compute.baseline import BaselineResult
    from gapgates.judge.diagnosis import diagnose

    g = summarize_gap("accuracy", [1.0] * 5, [0.955, 0.96, 0.958, 0.957, 0.956], n_train=4000, n_test=1000)
    cv = CrossValidation(splits=[], estimators=(), classes=None, oof_proba=None, oof_pred=None, covered=None, fit_seconds=0.0)
    memorising = GapResult(metrics={"accuracy": g}, classification=True, n_folds=5, confidence=0.95, cv=cv)
    dummy = BaselineResult(model="dummy", test_mean={"accuracy": 0.967}, train_mean={"accuracy": 0.967})
    lenient = Policy.model_validate({"gap": {"max_gap": 0.2}})  # the gap alone passes: the floor blocks
    evidence = Evidence(gap=memorising, baseline=dummy)
    decision = evaluate(lenient, evidence)
    assert next(c for c in decision.checks if c.name == "gain_over_baseline").status is Status.FAIL
    diagnosis = diagnose(evidence, decision)
    assert diagnosis.label == "overfit" and "memorises" in diagnosis.explanation and "0.967" in diagnosis.explanation
    g = summarize_gap("accuracy", [0.97] * 5, [0.955, 0.96, 0.958, 0.957, 0.956], n_train=4000, n_test=1000)
    barely = GapResult(metrics={"accuracy": g}, classification=True, n_folds=5, confidence=0.95, cv=cv)
    evidence = Evidence(gap=barely, baseline=dummy)
    assert diagnose(evidence, evaluate(lenient, evidence)).label == "underfit"


def test_memorised_noise_flags_stay_noise_when_the_gaps_cost_is_not_settled():
    """A model that interpolates flipped labels trails a reference on average, not significantly (regime
    memorising): the breached noise rule, not that unsettled cost, explains the block. A significant cost is overfit."""
    from dataclasses import replace

    from gapgates.compute.baseline import ReferenceScores, StrongBaselineResult
    from gapgates.compute.noise_adjusted import NoiseAdjustedGap
    from gapgates.judge.diagnosis import diagnose

    folds = [(np.arange(80), np.arange(80, 100))] * 5
    g = summarize_gap("accuracy", [1.0] * 5, [0.89, 0.91, 0.90, 0.88, 0.92], n_train=80, n_test=20)
    cv = CrossValidation(splits=folds, estimators=(), classes=None, oof_proba=None, oof_pred=None, covered=None, fit_seconds=0.0)
    interpolating = GapResult(metrics={"accuracy": g}, classification=True, n_folds=5, confidence=0.95, cv=cv)

    def reference(test):
        ref = ReferenceScores("forest", "RF", train={"accuracy": (0.95,) * 5}, test={"accuracy": tuple(test)})
        return StrongBaselineResult(references=(ref,), best="forest", metric="accuracy", n_train=80, n_test=20, fits=5)

    labels, proba = _graded()
    hard = labels.copy()
    hard[np.flatnonzero(proba.max(axis=1) < 0.6)[::3]] ^= 1
    memorised = NoiseAdjustedGap(metrics={}, removed=100, memorised=1.0)
    flagged = replace(_confident_noise(hard, proba), rate=0.4, adjusted=memorised)  # max_rate breached, memorised
    unsettled = Evidence(gap=interpolating, noise=flagged, strong_baseline=reference([0.97, 0.91, 0.97, 0.89, 0.96]))
    decision = evaluate(Policy(), unsettled)
    assert next(c for c in decision.checks if c.name == "gap:accuracy").regime == "memorising"
    assert diagnose(unsettled, decision).label == "noise"
    significant = Evidence(gap=interpolating, noise=flagged, strong_baseline=reference([0.95, 0.96, 0.95, 0.94, 0.96]))
    decision = evaluate(Policy(), significant)
    assert next(c for c in decision.checks if c.name == "gap:accuracy").regime == "harmful"
    assert diagnose(significant, decision).label == "overfit"


def test_the_references_view_is_judged_and_a_failed_strong_baseline_is_no_fallback_to_the_models_own():
    """With a strong baseline, ``label_noise:confident`` judges the highest of its references' ratios and names them all;
    when the strong baseline step failed, the rule fails instead of judging the model's own view (the one that
    memorised flips hide from); with the strong baseline off, the model's own view is judged."""
    from gapgates.compute.baseline import ReferenceScores, StrongBaselineResult
    from gapgates.compute.noise import confident_errors

    labels, proba = _graded()
    flipped = labels.copy()
    flipped[np.random.default_rng(4).choice(labels.size, size=100, replace=False)] ^= 1
    noise = _confident_noise(labels, proba)  # the model's own view: clean-looking (ratio under the limit)
    flips = confident_errors(flipped, proba)
    clean = confident_errors(labels, proba)
    refs = tuple(
        ReferenceScores(name, name, {"accuracy": (0.9,)}, {"accuracy": (0.9,)}, confident=c)
        for name, c in (("hgb", clean), ("linear", flips))
    )
    strong = StrongBaselineResult(references=refs, best="linear", metric="accuracy", n_train=80, n_test=20, fits=2)
    judged = _confident_check(Evidence(noise=noise, strong_baseline=strong))
    assert noise.confident.ratio < 0.6 < flips.ratio
    assert judged.status is Status.FAIL and judged.value == flips.ratio
    assert f"hgb {fmt(clean.ratio)}, linear {fmt(flips.ratio)}" in judged.message
    failed = _confident_check(Evidence(noise=noise, errors={"strong_baseline": "reference fit failed"}))
    assert failed.status is Status.FAIL and failed.value is None and "reference fit failed" in failed.message
    off = Policy.model_validate({"baseline": {"models": []}})
    own = _confident_check(Evidence(noise=noise, errors={"strong_baseline": "reference fit failed"}), off)
    assert own.status is Status.PASS and own.value == noise.confident.ratio
