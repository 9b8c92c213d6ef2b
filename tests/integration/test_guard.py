"""The model guard inside whole gate runs: a valid model passes the ``model_outputs`` check."""

from __future__ import annotations

from tests.helpers import noisy_classification


def test_a_valid_model_passes_the_model_outputs_check(tmp_path):
    from gapgates.config import make_config
    from gapgates.pipeline.definition import run_check

    data = tmp_path / "d.csv"
    noisy_classification(n=120).to_csv(data, index=False)
    result = run_check(
        make_config({"data": data, "target": "label", "model": "sklearn.linear_model.LogisticRegression", "folds": 3})
    )
    (check,) = [c for c in result.decision.checks if c.name == "model_outputs"]
    assert check.status.value == "pass" and check.value == 0.0
