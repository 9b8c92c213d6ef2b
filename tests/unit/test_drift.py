"""Per-column drift tests and the drift result (gapgates.compute.drift)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gapgates.compute.drift import column_drift, measure_drift


def _frames(n: int = 600, *, shift: float = 0.0, mix: tuple[float, float] = (0.5, 0.5), seed: int = 0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"num": rng.normal(shift, 1, n), "cat": rng.choice(["a", "b"], n, p=mix),
                         "still": rng.normal(0, 1, n)})


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


def test_a_column_without_values_on_one_side_is_not_drifted():
    ref = pd.DataFrame({"num": [1.0, 2.0, 3.0]})
    new = pd.DataFrame({"num": [np.nan, np.nan, np.nan]})
    (only,) = column_drift(ref, new)
    assert not only.drifted and only.to_dict()["p_value"] is None
    with pytest.raises(KeyError):
        measure_drift(ref, pd.DataFrame({"other": [1.0]}))
