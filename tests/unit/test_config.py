"""merge_config: the one merge of a gapgates.toml with options, used by the CLI and the flow."""

from __future__ import annotations

from pathlib import Path

import pytest

from gapgates.config import CheckConfig, merge_config
from gapgates.errors import ConfigError

TREE = "sklearn.tree.DecisionTreeClassifier"


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "conf" / "gapgates.toml"
    path.parent.mkdir()
    path.write_text(f'data = "train.csv"\ntarget = "label"\nmodel = "{TREE}"\nfolds = 3\nholdout-fraction = 0.2\n'
                    "[params]\nmax_depth = 2\ncriterion = \"gini\"\n")
    return path


def test_options_win_over_the_file_and_none_is_not_given(toml):
    config = merge_config(toml, {"folds": 4, "seed": None, "target": None, "holdout_fraction": 0.3})
    assert isinstance(config, CheckConfig)
    assert (config.folds, config.seed, config.target, config.holdout_fraction) == (4, 0, "label", 0.3)
    assert config.data == toml.parent / "train.csv"  # relative to the file
    assert merge_config(toml).folds == 3 and merge_config(toml, {"holdout-fraction": 0.4}).holdout_fraction == 0.4


def test_params_option_replaces_params_keyword_merges(toml):
    assert merge_config(toml, {"params": {"max_depth": 5}}).params == {"max_depth": 5}
    merged = merge_config(toml, {"params": None}, params={"max_depth": 7, "min_samples_leaf": 3})
    assert merged.params == {"max_depth": 7, "criterion": "gini", "min_samples_leaf": 3}
    assert merge_config(toml, params={}).params == {"max_depth": 2, "criterion": "gini"}


def test_options_only_and_errors(tmp_path, toml):
    base = {"data": "d.csv", "target": "y", "model": TREE}
    assert merge_config(None, base).folds == 5
    with pytest.raises(ConfigError, match=r"Config file '.*nope\.toml' does not exist"):
        merge_config(tmp_path / "nope.toml", base)
    with pytest.raises(ConfigError, match=r"^options: 'data' is required"):
        merge_config(None, {"target": "y", "model": TREE})
    with pytest.raises(ConfigError, match=r"gapgates\.toml: unknown option 'foldz'"):
        merge_config(toml, {"foldz": 3})
    with pytest.raises(ConfigError, match=r"'folds' .*greater than or equal to 2\. Got 1"):
        merge_config(toml, {"folds": 1})


def test_cli_and_flow_share_the_merge(toml):
    from gapgates.flows.retrain import gate_config

    from gapgates.cli.main import resolve_check_config

    expected = merge_config(toml, {"folds": 4}, params={"max_depth": 9})
    assert resolve_check_config(str(toml), folds=4, seed=None, params=("max_depth=9",)) == expected
    assert gate_config(str(toml), {"folds": 4, "seed": None, "params": {**expected.params}}) == expected
    assert gate_config(str(toml), {"params": {"max_depth": 9}}).params == {"max_depth": 9}  # the flow replaces
    assert resolve_check_config(str(toml), params=()) == merge_config(toml)


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
    assert merge_config(options={"data": "d", "target": "y", "model": "m.M", "registry": tmp_path}).registry == str(
        tmp_path)
