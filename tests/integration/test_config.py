"""merge_config as the CLI and the flow use it (this imports both; the rest of merge_config is in tests/unit)."""

from __future__ import annotations

from gapgates.config import merge_config


def test_cli_and_flow_share_the_merge(config_toml):
    from gapgates.flows.retrain import gate_config

    from gapgates.cli.check import resolve_check_config

    expected = merge_config(config_toml, {"folds": 4}, params={"max_depth": 9})
    assert resolve_check_config(str(config_toml), folds=4, seed=None, params=("max_depth=9",)) == expected
    assert gate_config(str(config_toml), {"folds": 4, "seed": None, "params": {**expected.params}}) == expected
    assert gate_config(str(config_toml), {"params": {"max_depth": 9}}).params == {"max_depth": 9}  # the flow replaces
    assert resolve_check_config(str(config_toml), params=()) == merge_config(config_toml)
