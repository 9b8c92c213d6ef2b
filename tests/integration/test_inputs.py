"""load_inputs (files, columns, model) then validate_inputs (Great Expectations, datasets); prepare does both."""

from __future__ import annotations

import pandas as pd
import pytest

from gapgates.config import CheckConfig
from gapgates.errors import ConfigError, DataError
from gapgates.judge.policy import Policy
from gapgates.pipeline.inputs import Inputs, Prepared, check_inputs, load_inputs, prepare, validate_inputs

TREE = "sklearn.tree.DecisionTreeClassifier"


def _config(data, **kw) -> CheckConfig:
    return CheckConfig(data=data, target="label", model=TREE, folds=3, **kw)


def _missing_suite(tmp_path) -> Policy:
    return Policy.model_validate({"quality": {"suite": str(tmp_path / "missing-suite.json")}})


@pytest.mark.parametrize("extra", [{}, {"holdout_fraction": 0.25}])
def test_prepare_is_load_then_validate(noisy_csv, extra):
    config = _config(noisy_csv, **extra)
    whole = prepare(config)
    inputs = load_inputs(config)
    steps = validate_inputs(inputs)
    assert isinstance(inputs, Inputs) and isinstance(steps, Prepared)
    assert not hasattr(inputs, "quality")  # no GX result before validate_inputs
    assert len(inputs.table) == 600 and inputs.holdout_table is None
    assert steps.fingerprint == whole.fingerprint and len(steps.fingerprint) == 64
    assert (steps.train.rows, steps.metrics) == (whole.train.rows, whole.metrics) == (450 if extra else 600, ["accuracy"])
    assert list(steps.train.X.index) == list(whole.train.X.index)
    assert (steps.holdout is None) == (whole.holdout is None) == (not extra)
    assert steps.quality.success and whole.quality.success and not steps.blocked
    assert [r.name for r in steps.quality.results] == [r.name for r in whole.quality.results]


def test_usage_errors_come_from_load_inputs_before_gx(noisy_csv, tmp_path):
    policy = _missing_suite(tmp_path)  # GX would fail on this suite: load_inputs must not get there
    with pytest.raises(ConfigError, match="'nope'"):
        load_inputs(CheckConfig(data=noisy_csv, target="nope", model=TREE), policy=policy)
    with pytest.raises(ConfigError, match="does not exist"):
        load_inputs(_config(tmp_path / "gone.csv"), policy=policy)
    inputs = load_inputs(_config(noisy_csv), policy=policy)  # loads fine: no GX yet
    with pytest.raises(ConfigError, match=r"missing-suite\.json' does not exist"):
        validate_inputs(inputs)  # the data-quality gate is where the suite is read


def test_data_failing_a_critical_expectation_is_blocked_by_validate(noisy_csv, tmp_path):
    broken = pd.read_csv(noisy_csv)
    broken.loc[:5, "label"] = None
    broken.to_csv(tmp_path / "broken.csv", index=False)
    inputs = load_inputs(_config(tmp_path / "broken.csv"))  # reading the file raises nothing
    prep = validate_inputs(inputs)
    assert prep.blocked and prep.quality.critical and not prep.quality.success
    assert prep.estimator is inputs.estimator  # failed fast: features were never encoded
    relaxed = Policy.model_validate({"quality": {"required": False}})
    with pytest.raises(DataError):  # not required: the run goes on and make_dataset refuses NaN labels
        validate_inputs(load_inputs(_config(tmp_path / "broken.csv"), policy=relaxed))


def test_folds_check_runs_after_the_quality_gate(noisy_csv):
    inputs = load_inputs(CheckConfig(data=noisy_csv, target="label", model=TREE, folds=601, max_fits=601))
    with pytest.raises(DataError, match=r"folds \(601\) exceeds the training rows \(600\)"):
        validate_inputs(inputs)


def _ragged_csv(tmp_path):
    """A CSV with a good header and a row that cannot be parsed (too many fields)."""
    path = tmp_path / "ragged.csv"
    path.write_text("x0,x1,label\n1,2,0\n3,4,1,9,9\n")
    return path


def test_check_inputs_reads_only_the_header(tmp_path):
    config = _config(_ragged_csv(tmp_path))
    check_inputs(config)  # the header is fine
    with pytest.raises(ConfigError, match="cannot be read"):
        load_inputs(config)  # the rows are not


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_check_inputs_finds_a_wrong_column_from_the_header(tmp_path, noisy_csv, suffix):
    path = noisy_csv
    if suffix == ".parquet":
        path = tmp_path / "noisy.parquet"
        pd.read_csv(noisy_csv).to_parquet(path)
    check_inputs(_config(path))
    with pytest.raises(ConfigError, match=r"target column 'labl' is not in the data .*Fix target\."):  # Python's spelling
        check_inputs(CheckConfig(data=path, target="labl", model=TREE))
    with pytest.raises(ConfigError, match="group column 'site'"):
        check_inputs(_config(path, group="site"))


def test_check_inputs_checks_policy_holdout_model_and_metrics(tmp_path, noisy_csv):
    bad_policy = tmp_path / "policy.toml"
    bad_policy.write_text("[gap]\nmax_gap = -1\n")
    with pytest.raises(ConfigError):
        check_inputs(_config(noisy_csv, policy=bad_policy))
    with pytest.raises(ConfigError, match="does not exist"):
        check_inputs(_config(noisy_csv, holdout=tmp_path / "missing.csv"))
    with pytest.raises(ConfigError):
        check_inputs(CheckConfig(data=noisy_csv, target="label", model="sklearn.tree.NoSuchTree"))
    metrics = tmp_path / "metrics.toml"
    metrics.write_text('[gap]\nmetrics = ["not_a_metric"]\n')
    with pytest.raises(ConfigError, match="not_a_metric"):
        check_inputs(_config(noisy_csv, policy=metrics))
