"""How ``benchmarks/bench_seeds.py`` replays the gap decision from stored per-fold scores."""

from __future__ import annotations

from benchmarks.bench_seeds import rates, replay, variant_policy

# a model that interpolates its rows (train 1.0), test ~0.85: a gap of ~0.15 over the 0.05 limit
CANDIDATE = [0.85, 0.86, 0.84, 0.85, 0.86]


def case(reference_test: list[float], *, seed: int = 0, model: str = "tree", others: tuple[str, ...] = ()) -> dict:
    return {
        "table": "iris",
        "model": model,
        "fault": "overfit",
        "seed": seed,
        "metric": "accuracy",
        "classification": True,
        "train": [1.0] * 5,
        "test": CANDIDATE,
        "sizes": [[80, 20]] * 5,
        "references": [{"name": "linear", "train": [0.9] * 5, "test": reference_test}],
        "others_failed": list(others),
    }


STEADY = [0.93, 0.86, 0.91, 0.86, 0.90]  # +0.04 on average, standard error 0.016, not significant
SPREAD = [0.95, 0.80, 0.93, 0.82, 0.96]  # +0.04 on average, standard error 0.035


def test_the_replay_decides_with_the_librarys_rules_and_the_variant_changes_it() -> None:
    default = variant_policy("")
    steady = replay(case(STEADY), default)
    assert steady.blocked and steady.gap_failed and steady.regime == "memorising" and steady.folds == 5
    spread = replay(case(SPREAD), default)  # within 1.5 standard errors of max_cost: benign
    assert not spread.blocked and spread.regime == "benign"
    assert replay(case(SPREAD), variant_policy("gap.cost_margin=0")).regime == "memorising"
    assert replay(case(STEADY), variant_policy("gap.mode='absolute'")).regime is None
    # another check that failed in the fitted run blocks whatever the gap
    assert replay(case(SPREAD, others=("label_noise",)), default).blocked


def test_rates_count_a_pair_whose_seeds_decide_differently() -> None:
    cases = [case(STEADY, seed=0), case(SPREAD, seed=1), case(STEADY, seed=0, model="1nn"), case(STEADY, seed=1, model="1nn")]
    found = rates(cases, variant_policy(""))
    assert found["pairs"] == 2 and found["splits"] == {"0,1": 1} and found["split_pairs"] == ["iris/tree/overfit"]
    assert rates(cases, variant_policy("gap.cost_margin=0"))["splits"] == {"0,1": 0}
