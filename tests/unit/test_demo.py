"""The bundled demo: data written offline, candidates that build."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.base import is_classifier

from gapgates.data.model import build_model
from gapgates.demo import CANDIDATES, DEMO_POLICY_PATH, write_demo_data
from gapgates.judge.policy import load_policy


@pytest.mark.parametrize("as_str", [False, True])
def test_write_demo_data_writes_breast_cancer_into_a_new_directory(tmp_path, as_str):
    out = tmp_path / "new" / "dir"
    path = write_demo_data(str(out) if as_str else out)
    frame = pd.read_csv(path)
    assert path.parent == out
    assert frame.shape == (569, 31)
    assert set(frame["target"]) == {0, 1}


def test_demo_candidates_build_classifiers_and_the_policy_loads():
    assert load_policy(DEMO_POLICY_PATH).gap.max_gap is not None
    for _name, spec, params in CANDIDATES:
        assert is_classifier(build_model(spec, params))


def test_the_fresh_batch_has_the_datas_columns(tmp_path):
    from gapgates.demo import FRESH_ROWS, write_fresh_batch

    fresh = pd.read_csv(write_fresh_batch(tmp_path / "demo"))
    assert fresh.shape == (FRESH_ROWS, 31) and list(fresh.columns) == list(pd.read_csv(write_demo_data(tmp_path)).columns)
