"""Copied holdout rows and target-leaking columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_regression
from threadpoolctl import threadpool_limits

from gapgates.compute.leakage import find_leakage
from gapgates.data.columns import bin_column, eta_squared, uncertainty_coefficient
from gapgates.judge.checks import Status
from gapgates.judge.evidence import Evidence
from gapgates.judge.policy import Policy
from gapgates.judge.rules import evaluate


@pytest.fixture(autouse=True)
def _one_native_thread():
    """OpenMP/BLAS threads oversubscribe a shared 2-core machine (a 0.1 s fit takes 15 s); one per process."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.Series]:
    return load_breast_cancer(return_X_y=True, as_frame=True)


def checks(result, **limits) -> dict[str, object]:
    policy = Policy.model_validate({"leakage": limits} if limits else {})
    return {c.name: c for c in evaluate(policy, Evidence(leakage=result)).checks if c.name.startswith("leakage")}


def test_independent_holdout_has_no_copies(cancer):
    X, y = cancer
    result = find_leakage(X.iloc[:450], y.iloc[:450], X.iloc[450:], classification=True)
    assert result.exact_duplicates == 0 and result.near_duplicates == 0 and result.duplicate_rate == 0.0
    found = checks(result)
    assert found["leakage:duplicates"].status is Status.PASS
    assert found["leakage:feature"].status is Status.PASS and found["leakage:feature"].value < 0.9


def test_exact_and_near_copies_are_counted(cancer):
    X, y = cancer
    train, hold = X.iloc[:450], X.iloc[450:].copy()
    hold.iloc[:10] = train.iloc[:10].to_numpy()  # exact copies
    hold.iloc[10:20] = train.iloc[10:20].to_numpy() * (1 + 1e-6)  # near copies
    result = find_leakage(train, y.iloc[:450], hold, classification=True)
    assert result.exact_duplicates == 10 and result.near_duplicates == 20
    assert result.duplicate_rate == pytest.approx(20 / len(hold))
    assert result.duplicate_rows == tuple(range(450, 470))  # holdout's own row ids
    found = checks(result)
    assert found["leakage:duplicates"].status is Status.FAIL
    assert checks(result, max_duplicate_rate=0.2)["leakage:duplicates"].status is Status.PASS


def test_a_column_copied_from_the_target_leaks(cancer):
    X, y = cancer
    leaky = X.assign(leak=y + np.random.default_rng(0).normal(0, 0.05, len(y)))
    result = find_leakage(leaky, y, None, classification=True)
    assert result.feature_scores[0][0] == "leak" and result.max_feature_score > 0.99
    check = checks(result)["leakage:feature"]
    assert check.status is Status.FAIL and "'leak'" in check.message
    assert checks(result, max_feature_score=1.0)["leakage:feature"].status is Status.PASS


def test_regression_leak_by_correlation_ratio():
    X, y = make_regression(2000, 5, noise=5, random_state=0)
    X = pd.DataFrame(X, columns=list("abcde")).assign(leak=y * 3 + 1)
    result = find_leakage(X, pd.Series(y), None, classification=False)
    assert result.feature_scores[0][0] == "leak" and result.max_feature_score > 0.99
    assert result.feature_scores[1][1] < 0.9


def test_id_like_text_column_does_not_look_like_a_leak(cancer):
    X, y = cancer
    ids = X.assign(customer=[f"id{i}" for i in range(len(X))])
    result = find_leakage(ids, y, None, classification=True)
    assert dict(result.feature_scores)["customer"] < 0.5


def test_no_holdout_skips_duplicates_only(cancer):
    X, y = cancer
    found = checks(find_leakage(X, y, None, classification=True))
    assert found["leakage:duplicates"].status is Status.SKIPPED and "no holdout" in found["leakage:duplicates"].message
    assert found["leakage:feature"].status is Status.PASS
    skipped = checks(None)
    assert all(c.status is Status.SKIPPED for c in skipped.values())


def test_column_scores():
    codes = bin_column(pd.Series([1.0, 2.0, np.nan, 4.0]), max_bins=2)
    assert codes.tolist() == [0, 1, 2, 1]  # missing values get their own code
    assert uncertainty_coefficient(np.array([0, 0, 1, 1]), np.array(["a", "a", "b", "b"])) == pytest.approx(1.0)
    assert uncertainty_coefficient(np.array([0, 1, 0, 1]), np.array(["a", "a", "b", "b"])) == pytest.approx(0.0)
    assert eta_squared(np.array([0, 0, 1, 1]), np.array([1.0, 1.0, 5.0, 5.0])) == pytest.approx(1.0)
    assert eta_squared(np.array([0, 0, 0]), np.array([1.0, 1.0, 1.0])) == 0.0


def test_near_copies_are_sampled_but_exact_ones_all_counted(cancer):
    X, y = cancer
    train, hold = X.iloc[:369], X.iloc[369:].copy()  # 200 holdout rows
    hold.iloc[:100] = train.iloc[:100].to_numpy()  # half the holdout copies training rows exactly
    result = find_leakage(train, y.iloc[:369], hold, classification=True, max_near_rows=60)
    assert result.exact_duplicates == 100 and result.near_checked == 60
    assert 0 < result.near_duplicates < 60
    assert result.duplicate_rate == pytest.approx(max(0.5, result.near_duplicates / 60))


# --- copies of the target, target proxies, rows repeated across folds ----------------------------------------------


def _result(**fields) -> object:
    from gapgates.compute.leakage import LeakageResult

    base = {
        "holdout_rows": 0,
        "exact_duplicates": 0,
        "near_duplicates": 0,
        "near_checked": 0,
        "duplicate_rate": None,
        "duplicate_rows": (),
        "feature_scores": (("a", 0.3), ("b", 0.2)),
        "seconds": 0.0,
    }
    return LeakageResult(**{**base, **fields})


def _repeated(share: float, optimism: float | None, *, grouped: bool = False) -> object:
    from gapgates.compute.leakage import RepeatedRows

    honest = None if optimism is None else 0.9 - optimism
    return RepeatedRows(
        rows=100, repeated=int(share * 100), exact=0, clusters=10, typical_size=4.0, spanning=int(share * 100),
        share=share, grouped=grouped, metric="accuracy", reported=0.9, honest=honest, optimism=optimism,
        examples=(3, 7), seconds=0.0,
    )  # fmt: skip


def test_holdout_copies_are_judged_against_the_tables_own_rate():
    # A table whose training rows copy each other 40 % of the time: a holdout copying at 42 % is not a leak.
    natural = _result(holdout_rows=200, near_duplicates=84, near_checked=200, duplicate_rate=0.42, train_duplicate_rate=0.4)
    assert natural.excess_duplicate_rate == 0.0
    assert checks(natural)["leakage:duplicates"].status is Status.PASS
    # The same holdout rate on a table that never repeats a row is.
    leak = _result(holdout_rows=200, near_duplicates=84, near_checked=200, duplicate_rate=0.42, train_duplicate_rate=0.0)
    assert leak.excess_duplicate_rate == pytest.approx(0.42 - 1 / 200)
    assert checks(leak)["leakage:duplicates"].status is Status.FAIL
    # One chance copy in a 30-row holdout is allowed for.
    one = _result(holdout_rows=30, near_duplicates=1, near_checked=30, duplicate_rate=1 / 30, train_duplicate_rate=0.0)
    assert checks(one)["leakage:duplicates"].status is Status.PASS


def test_optimism_blocks_above_its_limit_and_repeated_rows_warn():
    above = checks(_result(repeated=_repeated(0.4, 0.05)), max_optimism=0.02)
    assert above["leakage:optimism"].status is Status.FAIL and above["leakage:optimism"].value == pytest.approx(0.05)
    assert above["leakage:repeated_rows"].status is Status.WARN
    assert "optimism +0.050" in above["leakage:repeated_rows"].message
    below = checks(_result(repeated=_repeated(0.4, 0.01)), max_optimism=0.02)
    assert below["leakage:optimism"].status is Status.PASS and below["leakage:repeated_rows"].status is Status.WARN
    few = checks(_result(repeated=_repeated(0.01, None)))
    assert few["leakage:optimism"].status is Status.SKIPPED and few["leakage:repeated_rows"].status is Status.PASS


def test_label_copy_and_target_correlation_on_both_sides_of_their_limits():
    from gapgates.compute.crossval import GapResult

    def run(copies, classification):
        gap = GapResult.__new__(GapResult)
        object.__setattr__(gap, "classification", classification)
        policy = Policy.model_validate({})
        ev = Evidence(leakage=_result(copies=copies), gap=gap)
        return {c.name: c for c in evaluate(policy, ev).checks if c.name.startswith("leakage")}

    assert run((("c", 0.8),), True)["leakage:label_copy"].status is Status.FAIL
    assert run((("c", 0.5),), True)["leakage:label_copy"].status is Status.PASS
    assert run((("c", 0.95),), False)["leakage:target_correlation"].status is Status.FAIL
    assert run((("c", 0.9),), False)["leakage:target_correlation"].status is Status.PASS
    assert run((("c", 0.95),), False)["leakage:label_copy"].status is Status.SKIPPED


def test_proxy_on_both_sides_of_its_limit():
    from gapgates.compute.leakage import Proxy

    leak = Proxy("leak", alone=0.99, dummy=0.6, share=0.98, reported=0.995, without=0.7, closure=(0.99 - 0.7) / 0.3)
    strong = Proxy("sex", alone=0.78, dummy=0.6, share=0.95, reported=0.79, without=0.69, closure=(0.78 - 0.69) / 0.31)
    assert checks(_result(proxies=(leak,)))["leakage:proxy"].status is Status.FAIL
    assert checks(_result(proxies=(strong,)))["leakage:proxy"].status is Status.PASS
    weak = Proxy("x", alone=0.65, dummy=0.6, share=0.2, reported=0.9, without=None, closure=None)
    assert checks(_result(proxies=(weak,)))["leakage:proxy"].status is Status.SKIPPED


def test_label_and_target_copies_are_measured(cancer):
    X, y = cancer
    rng = np.random.default_rng(0)
    noisy = np.where(rng.random(len(y)) < 0.1, 1 - y, y)
    found = find_leakage(X.assign(copy=noisy), y, classification=True)
    assert found.copies[0][0] == "copy" and found.copies[0][1] > 0.7
    healthy = find_leakage(X, y, classification=True)
    assert healthy.copies == ()
    Xr, yr = make_regression(n_samples=300, n_features=4, noise=5.0, random_state=0)
    frame, target = pd.DataFrame(Xr, columns=list("abcd")), pd.Series(yr)
    monotone = find_leakage(frame.assign(leak=np.exp(target / target.std())), target, classification=False)
    assert monotone.feature_scores[0] == ("leak", pytest.approx(1.0))  # a monotone transform: rank correlation 1


def test_copy_clusters_find_exact_and_jittered_copies():
    from gapgates.compute.leakage import copy_clusters

    rng = np.random.default_rng(0)
    base = pd.DataFrame(rng.normal(size=(100, 3)), columns=list("abc"))
    labels, exact = copy_clusters(base)
    assert len(np.unique(labels)) == 100 and not exact.any()
    dup = pd.concat([base, base.iloc[:20]], ignore_index=True)
    labels, exact = copy_clusters(dup)
    assert exact.sum() == 40 and all(labels[i] == labels[100 + i] for i in range(20))
    grouped = pd.concat([base + rng.normal(scale=0.01, size=base.shape) for _ in range(4)], ignore_index=True)
    labels, exact = copy_clusters(grouped)
    assert not exact.any() and len(np.unique(labels)) == 100
    assert all(len(set(labels[[i, 100 + i, 200 + i, 300 + i]])) == 1 for i in range(100))
    labels, _ = copy_clusters(grouped, max_rows=300)  # past max_rows: exact copies only
    assert len(np.unique(labels)) == 400
    labels, exact = copy_clusters(dup, max_rows=50)
    assert exact.sum() == 40 and len(np.unique(labels)) == 100


def test_kept_together_moves_each_cluster_to_one_fold():
    from gapgates.compute.leakage import _kept_together, first_repeat

    labels = np.array([0, 0, 1, 2, 3, 3, 4, 5])
    splits = [(np.array([2, 3, 4, 5, 6, 7]), np.array([0, 1])), (np.array([0, 1, 4, 5, 6, 7]), np.array([2, 3])),
              (np.array([0, 1, 2, 3, 5, 6, 7]), np.array([4])), (np.array([0, 1, 2, 3, 4]), np.array([5, 6, 7]))]  # fmt: skip
    assert len(first_repeat(splits + splits)) == 4
    together, spans = _kept_together(labels, splits)
    assert spans.tolist() == [False, False, False, True, False, False]
    fold_of = {int(r): i for i, (_, test) in enumerate(together) for r in test}
    assert fold_of[4] == fold_of[5] and sorted(fold_of) == list(range(8))
    for train, test in together:
        assert not set(train) & set(test)
