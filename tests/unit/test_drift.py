"""Per-column drift tests and the drift result (gapgates.compute.drift)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gapgates.compute.drift import column_drift, measure_drift


def _frames(n: int = 600, *, shift: float = 0.0, mix: tuple[float, float] = (0.5, 0.5), seed: int = 0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"num": rng.normal(shift, 1, n), "cat": rng.choice(["a", "b"], n, p=mix), "still": rng.normal(0, 1, n)})


def test_a_shifted_numeric_and_a_remixed_categorical_column_are_named_and_the_others_are_not():
    ref, new = _frames(seed=0), _frames(shift=0.6, mix=(0.2, 0.8), seed=1)
    found = {c.column: c for c in column_drift(ref, new)}
    assert (found["num"].test, found["cat"].test, found["still"].test) == ("ks", "chi2", "ks")
    assert found["num"].drifted and found["cat"].drifted and not found["still"].drifted
    assert found["num"].psi > 0.1 and found["still"].psi < 0.05


def test_the_same_distribution_has_no_drifted_column_and_an_auc_near_one_half():
    drift = measure_drift(_frames(seed=0), _frames(seed=1))
    assert drift.drifted == () and drift.drifted_share == 0.0 and 0.35 < drift.auc < 0.65
    assert drift.to_dict()["columns"][0]["column"] == "num"


def test_bonferroni_the_level_of_each_column_is_alpha_over_the_columns():
    ref, new = _frames(seed=0), _frames(shift=0.15, seed=1)
    p_value = column_drift(ref[["num"]], new[["num"]])[0].p_value
    alpha = p_value * 2  # significant alone, not once shared out over three columns
    assert column_drift(ref[["num"]], new[["num"]], alpha=alpha)[0].drifted
    assert not next(c for c in column_drift(ref, new, alpha=alpha) if c.column == "num").drifted


def test_a_column_going_missing_or_arriving_as_text_or_with_new_values_is_drifted():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"num": rng.normal(0, 1, 400), "gone": rng.normal(0, 1, 400), "kind": rng.choice(["a", "b", "c"], 400)})
    shifted = rng.normal(3, 1, 400).astype(object)
    shifted[0] = "n/a"  # one bad token: the column arrives as text
    holes = rng.normal(0, 1, 400)
    holes[:360] = np.nan  # 90% missing; what is left is not shifted
    new = pd.DataFrame({"num": shifted, "gone": holes, "kind": rng.choice(["a", "d", "e"], 400)})
    found = {c.column: c for c in column_drift(ref, new)}
    assert found["num"].test == "ks" and found["num"].drifted and found["num"].psi > 1  # tested as numbers
    assert found["gone"].drifted and found["gone"].psi > 1  # the missing rate moved
    assert found["kind"].test == "chi2" and found["kind"].drifted  # values training never had
    all_missing = column_drift(ref[["num"]], pd.DataFrame({"num": [np.nan] * 400}))[0]
    assert all_missing.drifted and all_missing.to_dict()["statistic"] is None
    same = column_drift(ref[["gone"]], pd.DataFrame({"gone": rng.normal(0, 1, 400)}))[0]
    assert not same.drifted
    with pytest.raises(KeyError):
        measure_drift(ref, pd.DataFrame({"other": [1.0]}))


def test_many_distinct_values_are_pooled_into_a_valid_table():
    rng = np.random.default_rng(0)
    values = [f"u{i}" for i in range(5_000)]  # each expected about twice: pooled, not 5,000 invalid cells
    ref, same = (pd.DataFrame({"id": rng.choice(values, 10_000)}) for _ in range(2))
    (pooled,) = column_drift(ref, same)
    assert not pooled.drifted and np.isfinite(pooled.statistic)
    twice = pd.DataFrame({"id": values * 2})  # rare values on both sides, none shared: one pool, no per-ID test
    assert not column_drift(twice, pd.DataFrame({"id": [f"new{i}" for i in range(10_000)]}))[0].drifted
    common = pd.DataFrame({"id": ["a"] * 500 + ["b"] * 500})
    (moved,) = column_drift(common, pd.DataFrame({"id": ["a"] * 800 + ["b"] * 200}))
    assert moved.drifted and moved.psi > 0.1


def test_a_text_column_of_numbers_parsed_as_floats_in_the_fresh_rows_is_not_drifted():
    """The stored column mixes ``"1"``, ``"2"`` and ``"x"`` (read back from CSV as text); a fresh batch without an
    ``"x"`` was parsed as floats. Its 1.0 and 2.0 are the stored ``"1"`` and ``"2"``, not new values."""
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"kind": rng.choice(["1", "2", "x"], 3000, p=[0.49, 0.49, 0.02])})
    fresh = pd.DataFrame({"kind": rng.choice([1.0, 2.0], 300)})
    (same,) = column_drift(ref, fresh)
    assert same.test == "chi2" and not same.drifted and same.p_value > 0.01
    (moved,) = column_drift(ref, pd.DataFrame({"kind": rng.choice([1.0, 2.0], 300, p=[0.8, 0.2])}))
    assert moved.drifted  # the mix of 1s and 2s did move
