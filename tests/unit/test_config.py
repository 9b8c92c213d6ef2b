"""merge_config: the one merge of a gapgates.toml with options, used by the CLI and the flow."""

from __future__ import annotations

import pytest

from gapgates.config import CheckConfig, merge_config
from gapgates.errors import ConfigError

TREE = "sklearn.tree.DecisionTreeClassifier"


def test_options_win_over_the_file_and_none_is_not_given(config_toml):
    config = merge_config(config_toml, {"folds": 4, "seed": None, "target": None, "holdout_fraction": 0.3})
    assert isinstance(config, CheckConfig)
    assert (config.folds, config.seed, config.target, config.holdout_fraction) == (4, 0, "label", 0.3)
    assert config.data == config_toml.parent / "train.csv"  # relative to the file
    assert merge_config(config_toml).folds == 3 and merge_config(config_toml, {"holdout-fraction": 0.4}).holdout_fraction == 0.4


def test_params_option_replaces_params_keyword_merges(config_toml):
    assert merge_config(config_toml, {"params": {"max_depth": 5}}).params == {"max_depth": 5}
    merged = merge_config(config_toml, {"params": None}, params={"max_depth": 7, "min_samples_leaf": 3})
    assert merged.params == {"max_depth": 7, "criterion": "gini", "min_samples_leaf": 3}
    assert merge_config(config_toml, params={}).params == {"max_depth": 2, "criterion": "gini"}


def test_options_only_and_errors(tmp_path, config_toml):
    base = {"data": "d.csv", "target": "y", "model": TREE}
    assert merge_config(None, base).folds == 5
    with pytest.raises(ConfigError, match=r"Config file '.*nope\.toml' does not exist"):
        merge_config(tmp_path / "nope.toml", base)
    with pytest.raises(ConfigError, match=r"^options: 'data' is required"):
        merge_config(None, {"target": "y", "model": TREE})
    with pytest.raises(ConfigError, match=r"gapgates\.toml: unknown option 'foldz'"):
        merge_config(config_toml, {"foldz": 3})
    with pytest.raises(ConfigError, match=r"'folds' .*greater than or equal to 2\. Got 1"):
        merge_config(config_toml, {"folds": 1})


def test_registry_uri_is_kept_and_a_directory_is_relative_to_the_file(tmp_path):
    toml = tmp_path / "conf" / "gapgates.toml"
    toml.parent.mkdir()
    base = 'data = "d.csv"\ntarget = "y"\nmodel = "m.M"\nout = "reports"\n'
    toml.write_text(base + 'registry = "mlflow:sqlite:///mlflow.db"\n')
    config = merge_config(toml)
    assert config.registry == "mlflow:sqlite:///mlflow.db"  # not resolved as a path, slashes kept
    assert config.history_path == tmp_path / "conf" / "history.sqlite"  # beside the reports
    toml.write_text(base + 'registry = "registry"\n')
    config = merge_config(toml)
    assert config.registry == str(tmp_path / "conf" / "registry")
    assert config.history_path == tmp_path / "conf" / "registry" / "history.sqlite"
    assert merge_config(options={"data": "d", "target": "y", "model": "m.M", "registry": tmp_path}).registry == str(tmp_path)
